//! Compiled conditions: a condition's parsed tree (macros expanded) turned once, at load, into
//! a small typed plan over fact slots, evaluated without the `cel` interpreter.
//!
//! The plan answers only where its answer is certain to be the interpreter's: every operation
//! it performs is one whose result the `cel` crate (0.15) computes the same way for the same
//! operand types (int, string, bool and null values, lists, the JSON objects of findings).
//! Anything else — a `double` or `uint` operand, a type mismatch, a missing key, an index out
//! of range, an overflow, a division by zero, a non-bool where a bool is needed — makes the
//! plan *defer*: it returns `None` and the caller runs the condition in the interpreter, which
//! gives the result or error (with its exact message) it always gave. Conditions using a
//! construct the plan does not compile (`string()`, `int()`, a namespace read as a whole map,
//! list equality, …) are not compiled at all and always run in the interpreter.
//! `tests/policy_differential.rs` checks plan against interpreter on random facts.

use std::borrow::Cow;

use cel::common::ast::{CallExpr, ComprehensionExpr, Expr, IdedExpr, LiteralValue};

use super::facts::{self, Facts, Slot};
use crate::jcs::{Map, Value};

/// A compiled condition.
#[derive(Debug)]
pub(crate) struct Plan {
    root: Node,
}

impl Plan {
    /// Compiles `expression` (a condition that passed the subset check), or `None` when it uses
    /// a construct the plan leaves to the interpreter.
    pub(crate) fn compile(expression: &IdedExpr) -> Option<Self> {
        let mut scope = Vec::new();
        Some(Self {
            root: compile(expression, &mut scope)?,
        })
    }

    /// The condition's value on `facts`, or `None` to defer to the interpreter.
    pub(crate) fn run(&self, facts: &Facts) -> Option<bool> {
        let mut locals = Vec::new();
        match eval(&self.root, facts, &mut locals)? {
            V::Bool(b) => Some(b),
            _ => None,
        }
    }
}

#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    /// A `uint` or `double` literal: the plan never computes with one.
    Opaque,
    /// Fact `i` of the vocabulary.
    Fact(usize),
    /// `has()` of fact `i`: true when its namespace is present.
    HasFact(usize),
    /// Comprehension variable `i` (outermost first).
    Local(usize),
    Select(Box<Node>, String),
    Has(Box<Node>, String),
    Index(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cond(Box<(Node, Node, Node)>),
    Eq(Box<Node>, Box<Node>),
    Ne(Box<Node>, Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    In(Box<Node>, Box<Node>),
    Size(Box<Node>),
    Text(Text, Box<Node>, Box<Node>),
    List(Vec<Node>),
    Loop(Box<Loop>),
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy)]
enum Text {
    Contains,
    StartsWith,
    EndsWith,
}

/// A macro comprehension: `exists`, `all`, `exists_one`, `map` (with or without a filter) or
/// `filter` (a `map` of the variable itself).
#[derive(Debug)]
struct Loop {
    kind: LoopKind,
    range: Node,
    /// The predicate (`exists`, `all`, `exists_one`, the filter of `map`/`filter`).
    predicate: Option<Node>,
    /// The mapped expression (`map`, `filter`).
    mapped: Option<Node>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoopKind {
    Exists,
    All,
    ExistsOne,
    Map,
}

/// The accumulator every standard macro expands with.
const ACCU: &str = "@result";

fn boxed(e: &IdedExpr, scope: &mut Vec<String>) -> Option<Box<Node>> {
    compile(e, scope).map(Box::new)
}

fn compile(e: &IdedExpr, scope: &mut Vec<String>) -> Option<Node> {
    match &e.expr {
        Expr::Literal(literal) => Some(match literal {
            LiteralValue::Null => Node::Null,
            LiteralValue::Boolean(b) => Node::Bool(*b.inner()),
            LiteralValue::Int(i) => Node::Int(*i.inner()),
            LiteralValue::String(s) => Node::Str(s.inner().to_owned()),
            LiteralValue::UInt(_) | LiteralValue::Double(_) => Node::Opaque,
            LiteralValue::Bytes(_) => return None,
        }),
        Expr::Ident(name) => {
            let i = scope.iter().rposition(|s| s == name)?;
            Some(Node::Local(i))
        }
        Expr::Select(select) => {
            if let Expr::Ident(root) = &select.operand.expr {
                if !scope.iter().any(|s| s == root) {
                    // A namespace member (the subset check made sure it is one).
                    let index = facts::index_of(root, &select.field)?;
                    // `has(ns.member)`: every member of a present namespace is set.
                    return Some(if select.test {
                        Node::HasFact(index)
                    } else {
                        Node::Fact(index)
                    });
                }
            }
            let operand = boxed(&select.operand, scope)?;
            Some(if select.test {
                Node::Has(operand, select.field.clone())
            } else {
                Node::Select(operand, select.field.clone())
            })
        }
        Expr::List(list) => {
            if !list.optional_indices.is_empty() {
                return None;
            }
            let items = list
                .elements
                .iter()
                .map(|item| compile(item, scope))
                .collect::<Option<Vec<_>>>()?;
            Some(Node::List(items))
        }
        Expr::Call(call) => compile_call(call, scope),
        Expr::Comprehension(c) => compile_loop(c, scope).map(|l| Node::Loop(Box::new(l))),
        Expr::Map(_) | Expr::Struct(_) | Expr::Unspecified => None,
    }
}

fn compile_call(call: &CallExpr, scope: &mut Vec<String>) -> Option<Node> {
    let name = call.func_name.as_str();
    if let Some(target) = &call.target {
        let [arg] = call.args.as_slice() else {
            return match (name, call.args.as_slice()) {
                ("size", []) => Some(Node::Size(boxed(target, scope)?)),
                _ => None,
            };
        };
        let text = match name {
            "contains" => Text::Contains,
            "startsWith" => Text::StartsWith,
            "endsWith" => Text::EndsWith,
            _ => return None,
        };
        return Some(Node::Text(text, boxed(target, scope)?, boxed(arg, scope)?));
    }
    match call.args.as_slice() {
        [a] => {
            let a = boxed(a, scope)?;
            match name {
                "!_" => Some(Node::Not(a)),
                "-_" => Some(Node::Neg(a)),
                "size" => Some(Node::Size(a)),
                _ => None,
            }
        }
        [a, b] => {
            let (a, b) = (boxed(a, scope)?, boxed(b, scope)?);
            Some(match name {
                "_&&_" => Node::And(a, b),
                "_||_" => Node::Or(a, b),
                "_==_" => Node::Eq(a, b),
                "_!=_" => Node::Ne(a, b),
                "_<_" => Node::Cmp(Cmp::Lt, a, b),
                "_<=_" => Node::Cmp(Cmp::Le, a, b),
                "_>_" => Node::Cmp(Cmp::Gt, a, b),
                "_>=_" => Node::Cmp(Cmp::Ge, a, b),
                "_+_" => Node::Arith(Arith::Add, a, b),
                "_-_" => Node::Arith(Arith::Sub, a, b),
                "_*_" => Node::Arith(Arith::Mul, a, b),
                "_/_" => Node::Arith(Arith::Div, a, b),
                "_%_" => Node::Arith(Arith::Rem, a, b),
                "_[_]" => Node::Index(a, b),
                "@in" => Node::In(a, b),
                _ => return None,
            })
        }
        [c, a, b] if name == "_?_:_" => Some(Node::Cond(Box::new((
            compile(c, scope)?,
            compile(a, scope)?,
            compile(b, scope)?,
        )))),
        _ => None,
    }
}

/// `name(args)` with no target.
fn call<'e>(e: &'e IdedExpr, name: &str) -> Option<&'e [IdedExpr]> {
    match &e.expr {
        Expr::Call(c) if c.target.is_none() && c.func_name == name => Some(&c.args),
        _ => None,
    }
}

fn is_accu(e: &IdedExpr) -> bool {
    matches!(&e.expr, Expr::Ident(name) if name == ACCU)
}

fn is_bool(e: &IdedExpr, value: bool) -> bool {
    matches!(&e.expr, Expr::Literal(LiteralValue::Boolean(b)) if *b.inner() == value)
}

fn is_int(e: &IdedExpr, value: i64) -> bool {
    matches!(&e.expr, Expr::Literal(LiteralValue::Int(i)) if *i.inner() == value)
}

/// `@result + [x]`: the mapped expression `x`.
fn appended(e: &IdedExpr) -> Option<&IdedExpr> {
    let [accu, list] = call(e, "_+_")? else {
        return None;
    };
    match &list.expr {
        Expr::List(l) if is_accu(accu) && l.optional_indices.is_empty() => match &l.elements[..] {
            [x] => Some(x),
            _ => None,
        },
        _ => None,
    }
}

/// Recognises the standard macros' expansions (cel's `parser/macros.rs`); any other shape is
/// left to the interpreter.
fn compile_loop(c: &ComprehensionExpr, scope: &mut Vec<String>) -> Option<Loop> {
    if c.iter_var2.is_some() || c.accu_var != ACCU || !is_accu(&c.result) && !is_one(&c.result) {
        return None;
    }
    // (kind, predicate, mapped) as expressions of the loop.
    let (kind, predicate, mapped): (LoopKind, Option<&IdedExpr>, Option<&IdedExpr>) = if is_bool(
        &c.accu_init,
        false,
    ) {
        let [not] = call(&c.loop_cond, "@not_strictly_false")? else {
            return None;
        };
        let [accu] = call(not, "!_")? else {
            return None;
        };
        let [step_accu, p] = call(&c.loop_step, "_||_")? else {
            return None;
        };
        if !is_accu(accu) || !is_accu(step_accu) || !is_accu(&c.result) {
            return None;
        }
        (LoopKind::Exists, Some(p), None)
    } else if is_bool(&c.accu_init, true) {
        let [accu] = call(&c.loop_cond, "@not_strictly_false")? else {
            return None;
        };
        let [step_accu, p] = call(&c.loop_step, "_&&_")? else {
            return None;
        };
        if !is_accu(accu) || !is_accu(step_accu) || !is_accu(&c.result) {
            return None;
        }
        (LoopKind::All, Some(p), None)
    } else if is_int(&c.accu_init, 0) {
        let [p, plus, same] = call(&c.loop_step, "_?_:_")? else {
            return None;
        };
        let [accu, one] = call(plus, "_+_")? else {
            return None;
        };
        if !is_bool(&c.loop_cond, true)
            || !is_accu(accu)
            || !is_int(one, 1)
            || !is_accu(same)
            || !is_one(&c.result)
        {
            return None;
        }
        (LoopKind::ExistsOne, Some(p), None)
    } else if matches!(&c.accu_init.expr, Expr::List(l) if l.elements.is_empty() && l.optional_indices.is_empty())
    {
        if !is_bool(&c.loop_cond, true) || !is_accu(&c.result) {
            return None;
        }
        if let Some(x) = appended(&c.loop_step) {
            (LoopKind::Map, None, Some(x))
        } else {
            let [p, add, same] = call(&c.loop_step, "_?_:_")? else {
                return None;
            };
            if !is_accu(same) {
                return None;
            }
            (LoopKind::Map, Some(p), Some(appended(add)?))
        }
    } else {
        return None;
    };
    let range = compile(&c.iter_range, scope)?;
    scope.push(c.iter_var.clone());
    let body = (|| {
        let predicate = match predicate {
            Some(p) => Some(compile(p, scope)?),
            None => None,
        };
        let mapped = match mapped {
            Some(m) => Some(compile(m, scope)?),
            None => None,
        };
        Some((predicate, mapped))
    })();
    scope.pop();
    let (predicate, mapped) = body?;
    Some(Loop {
        kind,
        range,
        predicate,
        mapped,
    })
}

/// `@result == 1` (the result of `exists_one`).
fn is_one(e: &IdedExpr) -> bool {
    matches!(call(e, "_==_"), Some([accu, one]) if is_accu(accu) && is_int(one, 1))
}

/// A value during plan evaluation, borrowing from the facts and the plan where it can.
#[derive(Debug, Clone)]
enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// A `uint` or `double`: the plan defers on any operation with one.
    Opaque,
    Str(Cow<'a, str>),
    Strs(&'a [String]),
    Json(&'a [Value]),
    Object(&'a Map),
    List(Vec<V<'a>>),
}

impl<'a> V<'a> {
    fn of_json(value: &'a Value) -> Self {
        match value {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            Value::Number(n) => n.as_i64().map_or(V::Opaque, V::Int),
            Value::String(s) => V::Str(Cow::Borrowed(s)),
            Value::Array(items) => V::Json(items),
            Value::Object(map) => V::Object(map),
        }
    }

    fn len(&self) -> Option<usize> {
        match self {
            V::Strs(l) => Some(l.len()),
            V::Json(l) => Some(l.len()),
            V::List(l) => Some(l.len()),
            _ => None,
        }
    }

    /// Item `i` of a list (`None`: not a list, or out of range).
    fn item(&self, i: usize) -> Option<V<'a>> {
        match self {
            V::Strs(l) => l.get(i).map(|s| V::Str(Cow::Borrowed(s.as_str()))),
            V::Json(l) => l.get(i).map(V::of_json),
            V::List(l) => l.get(i).cloned(),
            _ => None,
        }
    }
}

/// `a == b` as the interpreter decides it, or `None` where the plan defers (numbers of other
/// kinds, lists, maps).
fn equals(a: &V<'_>, b: &V<'_>) -> Option<bool> {
    match (a, b) {
        (V::Null, V::Null) => Some(true),
        (V::Bool(x), V::Bool(y)) => Some(x == y),
        (V::Int(x), V::Int(y)) => Some(x == y),
        (V::Str(x), V::Str(y)) => Some(x == y),
        // Values of two different kinds among null, bool, int and string are never equal.
        (
            V::Null | V::Bool(_) | V::Int(_) | V::Str(_),
            V::Null | V::Bool(_) | V::Int(_) | V::Str(_),
        ) => Some(false),
        _ => None,
    }
}

fn as_bool(v: V<'_>) -> Option<bool> {
    match v {
        V::Bool(b) => Some(b),
        _ => None,
    }
}

fn eval<'a>(node: &'a Node, facts: &'a Facts, locals: &mut Vec<V<'a>>) -> Option<V<'a>> {
    Some(match node {
        Node::Null => V::Null,
        Node::Bool(b) => V::Bool(*b),
        Node::Int(i) => V::Int(*i),
        Node::Str(s) => V::Str(Cow::Borrowed(s)),
        Node::Opaque => V::Opaque,
        Node::Fact(i) => match facts.slot(*i)? {
            Slot::Str(s) => V::Str(Cow::Borrowed(s)),
            Slot::Int(i) => V::Int(*i),
            Slot::Bool(b) => V::Bool(*b),
            Slot::StrList(l) => V::Strs(l),
            Slot::Objects(l) => V::Json(l),
        },
        Node::HasFact(i) => {
            facts.slot(*i)?;
            V::Bool(true)
        }
        Node::Local(i) => locals.get(*i)?.clone(),
        Node::Select(operand, field) => match eval(operand, facts, locals)? {
            V::Object(map) => V::of_json(map.get(field)?),
            _ => return None,
        },
        Node::Has(operand, field) => match eval(operand, facts, locals)? {
            V::Object(map) => V::Bool(map.get(field).is_some()),
            _ => return None,
        },
        Node::Index(list, index) => {
            let list = eval(list, facts, locals)?;
            match (list, eval(index, facts, locals)?) {
                (V::Object(map), V::Str(key)) => V::of_json(map.get(&key)?),
                (list, V::Int(i)) => list.item(usize::try_from(i).ok()?)?,
                _ => return None,
            }
        }
        Node::Not(a) => V::Bool(!as_bool(eval(a, facts, locals)?)?),
        Node::Neg(a) => match eval(a, facts, locals)? {
            V::Int(i) => V::Int(i.checked_neg()?),
            _ => return None,
        },
        Node::And(a, b) => {
            if !as_bool(eval(a, facts, locals)?)? {
                V::Bool(false)
            } else {
                V::Bool(as_bool(eval(b, facts, locals)?)?)
            }
        }
        Node::Or(a, b) => {
            if as_bool(eval(a, facts, locals)?)? {
                V::Bool(true)
            } else {
                V::Bool(as_bool(eval(b, facts, locals)?)?)
            }
        }
        Node::Cond(parts) => {
            let (c, a, b) = &**parts;
            if as_bool(eval(c, facts, locals)?)? {
                eval(a, facts, locals)?
            } else {
                eval(b, facts, locals)?
            }
        }
        Node::Eq(a, b) => {
            let a = eval(a, facts, locals)?;
            V::Bool(equals(&a, &eval(b, facts, locals)?)?)
        }
        Node::Ne(a, b) => {
            let a = eval(a, facts, locals)?;
            V::Bool(!equals(&a, &eval(b, facts, locals)?)?)
        }
        Node::Cmp(op, a, b) => {
            let a = eval(a, facts, locals)?;
            let order = match (a, eval(b, facts, locals)?) {
                (V::Int(x), V::Int(y)) => x.cmp(&y),
                (V::Str(x), V::Str(y)) => x.as_ref().cmp(y.as_ref()),
                (V::Bool(x), V::Bool(y)) => x.cmp(&y),
                _ => return None,
            };
            V::Bool(match op {
                Cmp::Lt => order.is_lt(),
                Cmp::Le => order.is_le(),
                Cmp::Gt => order.is_gt(),
                Cmp::Ge => order.is_ge(),
            })
        }
        Node::Arith(op, a, b) => {
            let a = eval(a, facts, locals)?;
            match (op, a, eval(b, facts, locals)?) {
                (Arith::Add, V::Int(x), V::Int(y)) => V::Int(x.checked_add(y)?),
                (Arith::Sub, V::Int(x), V::Int(y)) => V::Int(x.checked_sub(y)?),
                (Arith::Mul, V::Int(x), V::Int(y)) => V::Int(x.checked_mul(y)?),
                (Arith::Div, V::Int(x), V::Int(y)) => V::Int(x.checked_div(y)?),
                (Arith::Rem, V::Int(x), V::Int(y)) => V::Int(x.checked_rem(y)?),
                (Arith::Add, V::Str(x), V::Str(y)) => V::Str(Cow::Owned(format!("{x}{y}"))),
                (Arith::Add, x, y) => {
                    let (n, m) = (x.len()?, y.len()?);
                    let mut joined = Vec::with_capacity(n + m);
                    for i in 0..n {
                        joined.push(x.item(i)?);
                    }
                    for i in 0..m {
                        joined.push(y.item(i)?);
                    }
                    V::List(joined)
                }
                _ => return None,
            }
        }
        Node::In(a, list) => {
            let a = eval(a, facts, locals)?;
            let list = eval(list, facts, locals)?;
            let n = list.len()?;
            let mut found = false;
            for i in 0..n {
                if equals(&list.item(i)?, &a)? {
                    found = true;
                    break;
                }
            }
            V::Bool(found)
        }
        Node::Size(a) => {
            let a = eval(a, facts, locals)?;
            let n = match &a {
                V::Str(s) => s.chars().count(),
                other => other.len()?,
            };
            V::Int(i64::try_from(n).ok()?)
        }
        Node::Text(op, a, b) => {
            let a = eval(a, facts, locals)?;
            match (a, eval(b, facts, locals)?) {
                (V::Str(s), V::Str(t)) => V::Bool(match op {
                    Text::Contains => s.contains(t.as_ref()),
                    Text::StartsWith => s.starts_with(t.as_ref()),
                    Text::EndsWith => s.ends_with(t.as_ref()),
                }),
                _ => return None,
            }
        }
        Node::List(items) => V::List(
            items
                .iter()
                .map(|item| eval(item, facts, locals))
                .collect::<Option<Vec<_>>>()?,
        ),
        Node::Loop(l) => run_loop(l, facts, locals)?,
    })
}

fn run_loop<'a>(l: &'a Loop, facts: &'a Facts, locals: &mut Vec<V<'a>>) -> Option<V<'a>> {
    let range = eval(&l.range, facts, locals)?;
    let n = range.len()?;
    let depth = locals.len();
    let mut count = 0usize;
    let mut mapped = Vec::new();
    let mut result = None;
    for i in 0..n {
        locals.truncate(depth);
        locals.push(range.item(i)?);
        let keep = match &l.predicate {
            Some(p) => as_bool(eval(p, facts, locals)?)?,
            None => true,
        };
        match l.kind {
            LoopKind::Exists if keep => {
                result = Some(true);
                break;
            }
            LoopKind::All if !keep => {
                result = Some(false);
                break;
            }
            LoopKind::ExistsOne if keep => count += 1,
            LoopKind::Map if keep => {
                if let Some(m) = &l.mapped {
                    mapped.push(eval(m, facts, locals)?);
                }
            }
            _ => {}
        }
    }
    locals.truncate(depth);
    Some(match l.kind {
        LoopKind::Exists => V::Bool(result.unwrap_or(false)),
        LoopKind::All => V::Bool(result.unwrap_or(true)),
        LoopKind::ExistsOne => V::Bool(count == 1),
        LoopKind::Map => V::List(mapped),
    })
}
