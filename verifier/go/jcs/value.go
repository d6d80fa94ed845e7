package jcs

// Kind is the JSON type of a Value.
type Kind uint8

// The six JSON types.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// String returns the JSON name of the kind ("null", "boolean", "number", "string", "array", "object").
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindArray:
		return "array"
	case KindObject:
		return "object"
	}
	return "unknown"
}

// Value is one parsed JSON value. Numbers are IEEE-754 doubles; strings hold valid UTF-8; object
// members keep their input order (the writer sorts them).
//
// A Value is 40 bytes: the elements of a non-empty array or object live behind one pointer, so
// that the many scalars of a document do not each carry two empty slices (limits.md L43–L44
// bounds the memory a document demands by a multiple of its size).
type Value struct {
	kind Kind
	b    bool
	num  float64
	str  string
	kids *kids // non-empty arrays and objects only
}

// kids holds the elements of an array or the members of an object.
type kids struct {
	items   []Value
	members []Member
}

// Member is one name/value pair of an object.
type Member struct {
	Key   string
	Value Value
}

// Null returns the JSON null.
func Null() Value { return Value{kind: KindNull} }

// Bool returns a JSON boolean.
func Bool(b bool) Value { return Value{kind: KindBool, b: b} }

// Number returns a JSON number. Non-finite numbers are rejected by the writer, not here.
func Number(f float64) Value { return Value{kind: KindNumber, num: f} }

// String returns a JSON string.
func String(s string) Value { return Value{kind: KindString, str: s} }

// Array returns a JSON array holding items.
func Array(items ...Value) Value {
	if len(items) == 0 {
		return Value{kind: KindArray}
	}
	return Value{kind: KindArray, kids: &kids{items: items}}
}

// Object returns a JSON object holding members in the given order.
func Object(members ...Member) Value {
	if len(members) == 0 {
		return Value{kind: KindObject}
	}
	return Value{kind: KindObject, kids: &kids{members: members}}
}

// Kind returns the JSON type of v.
func (v Value) Kind() Kind { return v.kind }

// AsBool returns the boolean of a KindBool value (false otherwise).
func (v Value) AsBool() bool { return v.b }

// AsNumber returns the double of a KindNumber value (0 otherwise).
func (v Value) AsNumber() float64 { return v.num }

// AsString returns the text of a KindString value ("" otherwise).
func (v Value) AsString() string { return v.str }

// Items returns the elements of a KindArray value (nil otherwise).
func (v Value) Items() []Value {
	if v.kids == nil {
		return nil
	}
	return v.kids.items
}

// Members returns the members of a KindObject value in input order (nil otherwise).
func (v Value) Members() []Member {
	if v.kids == nil {
		return nil
	}
	return v.kids.members
}

// Get returns the value of the member named key of a KindObject value. Keys are unique in parsed
// objects, so at most one member matches.
func (v Value) Get(key string) (Value, bool) {
	for _, m := range v.Members() {
		if m.Key == key {
			return m.Value, true
		}
	}
	return Value{}, false
}
