// Package schema holds the JSON Schemas of spec/schemas (draft 2020-12), mirrored into this
// directory by `just sync-schemas` and embedded, and validates parsed documents against them.
//
// Every schema is registered under its `$id` (https://clyra.dev/schemas/<stem>.schema.json); no
// loader is installed, so a reference outside the embedded set fails to compile instead of reaching
// the network. Documents are handed over as jcs.Value (strictly parsed); numbers become
// json.Number in their canonical text, so integers up to 2^53 compare exactly.
package schema

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed *.schema.json
var files embed.FS

// BaseURL is the prefix of every schema's `$id`.
const BaseURL = "https://clyra.dev/schemas/"

// Stems of the schemas a verifier uses.
const (
	JournalEvent = "journal-event-v0"
	ManifestDEF  = "manifest-def-v0"
	ManifestPEF  = "manifest-pef-v0"
	Risk         = "risk-v1"
	Statement    = "statement-v0"
	Trust        = "trust-v0"
	Approval     = "approval-v0"
	Receipt      = "receipt-v0"
	Policy       = "policy-v1"
)

// RiskV1 is the location of the full risk/v1 block schema (risk-v1.md §6.1 item 2).
const RiskV1 = "risk-v1.schema.json#/$defs/risk_v1"

var (
	once     sync.Once
	compiler *jsonschema.Compiler
	initErr  error
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

func setup() {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	names, err := fs.Glob(files, "*.schema.json")
	if err != nil {
		initErr = err
		return
	}
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			initErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
		if err != nil {
			initErr = fmt.Errorf("%s: %w", name, err)
			return
		}
		obj, _ := doc.(map[string]any)
		id, _ := obj["$id"].(string)
		if id != BaseURL+name {
			initErr = fmt.Errorf("%s: $id %q is not %q", name, id, BaseURL+name)
			return
		}
		if err := c.AddResource(id, doc); err != nil {
			initErr = fmt.Errorf("%s: %w", name, err)
			return
		}
	}
	compiler = c
}

// Names returns the file names of the embedded schemas, sorted.
func Names() []string {
	names, _ := fs.Glob(files, "*.schema.json")
	sort.Strings(names)
	return names
}

// File returns the bytes of one embedded schema file (e.g. "trust-v0.schema.json").
func File(name string) ([]byte, error) { return files.ReadFile(name) }

// Get returns the compiled schema for a stem ("trust-v0") or a location relative to BaseURL
// ("risk-v1.schema.json#/$defs/risk_v1").
func Get(loc string) (*jsonschema.Schema, error) {
	once.Do(setup)
	if initErr != nil {
		return nil, initErr
	}
	if !strings.Contains(loc, ".schema.json") {
		loc += ".schema.json"
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[loc]; ok {
		return s, nil
	}
	s, err := compiler.Compile(BaseURL + loc)
	if err != nil {
		return nil, err
	}
	compiled[loc] = s
	return s, nil
}

// Validate validates v against the schema at loc (see Get). A nil result means valid; a schema
// that cannot be compiled is an error too, so a broken mirror never passes a document.
func Validate(loc string, v jcs.Value) error {
	s, err := Get(loc)
	if err != nil {
		return err
	}
	return s.Validate(ToAny(v))
}

// ToAny converts a parsed value to the generic form the validator takes: objects as
// map[string]any, arrays as []any, numbers as json.Number holding the canonical number text.
func ToAny(v jcs.Value) any {
	switch v.Kind() {
	case jcs.KindNull:
		return nil
	case jcs.KindBool:
		return v.AsBool()
	case jcs.KindNumber:
		s, err := jcs.FormatNumber(v.AsNumber())
		if err != nil {
			// Parsed values are always finite; keep the failure visible to the validator.
			return "non-finite number"
		}
		return json.Number(s)
	case jcs.KindString:
		return v.AsString()
	case jcs.KindArray:
		items := v.Items()
		out := make([]any, len(items))
		for i, it := range items {
			out[i] = ToAny(it)
		}
		return out
	case jcs.KindObject:
		ms := v.Members()
		out := make(map[string]any, len(ms))
		for _, m := range ms {
			out[m.Key] = ToAny(m.Value)
		}
		return out
	}
	return nil
}
