//! Conditions: the supported CEL subset (policy-v1.md §4), compiled once at load, with the
//! facts each reads and a cost bound computed before every evaluation.
//!
//! The `cel` crate parses and evaluates. After parsing, every node is checked against the
//! subset: literals (no bytes), fact and field selection, `has()`, list literals, the operators,
//! `in`, `size`, `contains`, `startsWith`, `endsWith`, `string`, `int`, and the macros `all`,
//! `exists`, `exists_one`, `map`, `filter`. Facts are checked against the vocabulary, so a typo
//! is an error at load, not a silent `false` at run time.
//!
//! Evaluation: each condition is also compiled into a plan over typed fact slots (module
//! `plan`), which answers where its answer is the interpreter's and defers to the interpreter
//! otherwise (values it does not compute, and every error, so messages stay the interpreter's).
//!
//! Cost: each condition's shape (nodes outside loops, and per comprehension the size bound of
//! its range and the cost of its body) gives an upper bound on the nodes evaluation can visit
//! for given facts; a condition whose bound exceeds limits.md L41 is not run (`policy.cel_cost`).

use std::sync::Arc;

use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use cel::{Context, Env, Program};

use super::error::{PolicyError, PolicyErrorKind};
use super::facts::{self, FactType, Facts};
use super::plan::Plan;
use crate::limits::Limits;

/// Functions and operators of the subset: `(name, callable as a method, argument counts)`;
/// a method's receiver counts as its first argument.
const FUNCTIONS: &[(&str, bool, &[usize])] = &[
    ("_&&_", false, &[2]),
    ("_||_", false, &[2]),
    ("!_", false, &[1]),
    ("_?_:_", false, &[3]),
    ("_==_", false, &[2]),
    ("_!=_", false, &[2]),
    ("_<_", false, &[2]),
    ("_<=_", false, &[2]),
    ("_>_", false, &[2]),
    ("_>=_", false, &[2]),
    ("_+_", false, &[2]),
    ("_-_", false, &[2]),
    ("_*_", false, &[2]),
    ("_/_", false, &[2]),
    ("_%_", false, &[2]),
    ("-_", false, &[1]),
    ("_[_]", false, &[2]),
    ("@in", false, &[2]),
    ("@not_strictly_false", false, &[1]),
    ("size", true, &[1]),
    ("contains", true, &[2]),
    ("startsWith", true, &[2]),
    ("endsWith", true, &[2]),
    ("string", false, &[1]),
    ("int", false, &[1]),
];

/// The size bound of a list a comprehension ranges over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Bound {
    /// Elements known at load (list literals).
    constant: u64,
    /// List facts (indices into the vocabulary) whose length adds in (`a + b`).
    facts: Vec<usize>,
    /// How many "any list" terms add in (computed lists: the longest list of the facts).
    any: u64,
}

impl Bound {
    fn eval(&self, f: &Facts) -> u64 {
        let facts: u64 = self
            .facts
            .iter()
            .map(|&i| f.length(i))
            .fold(0u64, u64::saturating_add);
        self.constant
            .saturating_add(facts)
            .saturating_add(self.any.saturating_mul(f.longest))
    }
}

/// An upper bound on evaluation work: `flat` nodes plus, per loop, range × body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Shape {
    flat: u64,
    loops: Vec<(Bound, Shape)>,
}

impl Shape {
    fn eval(&self, f: &Facts) -> u64 {
        self.loops.iter().fold(self.flat, |acc, (bound, body)| {
            acc.saturating_add(bound.eval(f).saturating_mul(body.eval(f).max(1)))
        })
    }
}

/// A compiled condition.
#[derive(Debug)]
pub struct Condition {
    source: String,
    program: Program,
    namespaces: u8,
    facts: Vec<String>,
    shape: Shape,
    /// The compiled plan, when the condition is within what the plan evaluates.
    plan: Option<Plan>,
}

/// Where in a condition a problem is: (line, column) from 1.
pub type CelPosition = (usize, usize);

/// Error of compiling a condition, with its position inside the condition text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CelError {
    /// What went wrong.
    pub kind: PolicyErrorKind,
    /// The message.
    pub message: String,
    /// Line and column inside the condition, when known.
    pub position: Option<CelPosition>,
}

impl CelError {
    fn new(
        kind: PolicyErrorKind,
        message: impl Into<String>,
        position: Option<CelPosition>,
    ) -> Self {
        Self {
            kind,
            message: message.into(),
            position,
        }
    }

    /// As a policy error (the caller adds the file location).
    pub fn into_policy_error(self) -> PolicyError {
        let message = match self.position {
            Some((line, column)) => {
                format!("{} (condition line {line}, column {column})", self.message)
            }
            None => self.message,
        };
        PolicyError::new(self.kind, message)
    }
}

/// The environment every condition is compiled for and run in: the CEL standard library.
pub fn environment() -> Arc<Env> {
    Arc::new(Env::stdlib())
}

impl Condition {
    /// Compiles `source` within the limits (L38 length, L39 bracket nesting, L40 comprehension
    /// nesting, L42 tree depth).
    pub fn compile(source: &str, env: &Env, limits: &PolicyLimits) -> Result<Self, CelError> {
        if source.len() > limits.cel_max_bytes {
            return Err(CelError::new(
                PolicyErrorKind::CelLimit,
                format!(
                    "condition is {} bytes, more than the limit of {}",
                    source.len(),
                    limits.cel_max_bytes
                ),
                None,
            ));
        }
        // The parser recurses once per bracket or `?`: bound that before parsing.
        if let Some((nesting, offset)) = nesting(source) {
            if nesting > limits.cel_max_nesting {
                return Err(CelError::new(
                    PolicyErrorKind::CelLimit,
                    format!(
                        "brackets and conditionals nest deeper than {}",
                        limits.cel_max_nesting
                    ),
                    Some(line_column(source, offset)),
                ));
            }
        }
        let depth = u16::try_from(limits.cel_max_depth).unwrap_or(u16::MAX);
        let parsed = env
            .parser()
            .max_recursion_depth(depth)
            .error_recovery_limit(4)
            .parse_with_source_info(source);
        let (expression, info) = parsed.map_err(|errors| {
            let first = errors.errors.first();
            let position = first.and_then(|e| {
                let line = usize::try_from(e.pos.0).ok()?;
                let column = usize::try_from(e.pos.1).ok()?;
                Some((line.max(1), column + 1))
            });
            let message = first.map_or_else(|| "syntax error".to_owned(), |e| e.msg.clone());
            let kind = if message.contains("recursion") || message.contains("depth") {
                PolicyErrorKind::CelLimit
            } else {
                PolicyErrorKind::CelSyntax
            };
            CelError::new(
                kind,
                format!("condition does not parse: {message}"),
                position,
            )
        })?;
        let position = |id: u64| {
            info.offset_for(id)
                .map(|(start, _)| line_column(source, usize::try_from(start).unwrap_or(0)))
        };
        let mut walk = Walk {
            scope: Vec::new(),
            namespaces: 0,
            facts: Vec::new(),
            nesting: 0,
            max_nesting: limits.cel_max_comprehension_nesting,
            depth: 0,
            max_depth: limits.cel_max_depth,
            position: &position,
        };
        let shape = walk.expr(&expression)?;
        let program = env.compile(source).map_err(|e| {
            CelError::new(
                PolicyErrorKind::CelSyntax,
                format!("condition does not parse: {e}"),
                None,
            )
        })?;
        let mut facts = walk.facts;
        facts.sort();
        facts.dedup();
        let plan = Plan::compile(program.expression());
        Ok(Self {
            source: source.to_owned(),
            program,
            namespaces: walk.namespaces,
            facts,
            shape,
            plan,
        })
    }

    /// The parsed expression (macros expanded).
    pub fn expression(&self) -> &IdedExpr {
        self.program.expression()
    }

    /// The condition as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Bit set of the namespaces the condition reads.
    pub(crate) fn namespaces(&self) -> u8 {
        self.namespaces
    }

    /// The facts the condition reads, as `namespace.member`, sorted.
    pub fn facts(&self) -> &[String] {
        &self.facts
    }

    /// The cost bound of evaluating this condition on `facts`.
    pub fn cost(&self, facts: &Facts) -> u64 {
        self.shape.eval(facts)
    }

    /// Evaluates the condition in `context` (built once per facts by [`context`]) with the
    /// `cel` interpreter.
    pub fn evaluate(
        &self,
        context: &Context<'_, '_>,
        facts: &Facts,
        max_cost: u64,
    ) -> Result<bool, PolicyError> {
        self.check_cost(facts, max_cost)?;
        self.interpret(context)
    }

    /// Whether the condition has a compiled plan (else it always runs in the interpreter).
    pub fn is_compiled(&self) -> bool {
        self.plan.is_some()
    }

    /// The compiled plan's value on `facts` (cost bound not checked), or `None` when the
    /// condition has no plan or the plan defers to the interpreter (a value or error the plan
    /// does not compute, module `plan`). Where it answers, it is the interpreter's answer.
    pub fn evaluate_compiled(&self, facts: &Facts) -> Option<bool> {
        self.plan.as_ref().and_then(|plan| plan.run(facts))
    }

    /// Evaluates the condition: the cost bound, then the compiled plan, else the interpreter
    /// in the context `context` gives (built on first need, once per facts).
    pub(crate) fn decide<'c>(
        &self,
        facts: &Facts,
        max_cost: u64,
        context: impl FnOnce() -> &'c Context<'c, 'c>,
    ) -> Result<bool, PolicyError> {
        self.check_cost(facts, max_cost)?;
        match self.evaluate_compiled(facts) {
            Some(b) => Ok(b),
            None => self.interpret(context()),
        }
    }

    /// `policy.cel_cost` when the cost bound on `facts` exceeds `max_cost`.
    fn check_cost(&self, facts: &Facts, max_cost: u64) -> Result<(), PolicyError> {
        let cost = self.cost(facts);
        if cost > max_cost {
            return Err(PolicyError::new(
                PolicyErrorKind::CelCost,
                format!("condition may visit {cost} nodes on these facts, more than the budget of {max_cost}"),
            ));
        }
        Ok(())
    }

    /// Runs the condition in the `cel` interpreter.
    fn interpret(&self, context: &Context<'_, '_>) -> Result<bool, PolicyError> {
        match self.program.execute(context) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(PolicyError::new(
                PolicyErrorKind::CelEval,
                format!("condition returned {}, not a bool", other.type_of()),
            )),
            Err(e) => Err(PolicyError::new(
                PolicyErrorKind::CelEval,
                format!("condition failed: {}", e.to_string().to_lowercase()),
            )),
        }
    }
}

/// Line and column (from 1, columns in characters) of byte `offset` of `source`.
fn line_column(source: &str, offset: usize) -> CelPosition {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The deepest nesting of brackets and conditionals (`(`, `[`, `{`, `?`) outside string
/// literals, with the byte offset where it is first reached; `None` when flat.
fn nesting(source: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut conditionals = 0usize;
    let mut deepest: Option<(usize, usize)> = None;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (i, b) in source.bytes().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'?' => conditionals += 1,
            _ => continue,
        }
        let level = depth + conditionals;
        if deepest.is_none_or(|(d, _)| level > d) {
            deepest = Some((level, i));
        }
    }
    deepest
}

/// The CEL context holding `facts`, built once per evaluation and shared by every condition.
pub fn context<'a>(env: &Arc<Env>, facts: &Facts) -> Context<'a, 'a> {
    let mut context = Context::with_env(Arc::clone(env));
    for (name, value) in facts.cel_values() {
        context.add_variable_from_value(*name, value.clone());
    }
    context
}

/// Bounds on conditions (limits.md L38–L41).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyLimits {
    /// Longest condition, in bytes (L38).
    pub cel_max_bytes: usize,
    /// Deepest nesting of brackets and conditionals (L39).
    pub cel_max_nesting: usize,
    /// Deepest expression tree (L42).
    pub cel_max_depth: usize,
    /// Deepest nesting of comprehensions (L40).
    pub cel_max_comprehension_nesting: usize,
    /// Most nodes one condition may visit (L41).
    pub cel_max_cost: u64,
}

impl PolicyLimits {
    /// The policy limits of `limits`.
    pub fn of(limits: &Limits) -> Self {
        Self {
            cel_max_bytes: limits.policy_cel_max_bytes,
            cel_max_nesting: limits.policy_cel_max_nesting,
            cel_max_depth: limits.policy_cel_max_depth,
            cel_max_comprehension_nesting: limits.policy_cel_max_comprehension_nesting,
            cel_max_cost: limits.policy_cel_max_cost,
        }
    }
}

/// The subset check over a parsed condition.
struct Walk<'a> {
    /// Comprehension variables in scope.
    scope: Vec<String>,
    namespaces: u8,
    facts: Vec<String>,
    nesting: usize,
    max_nesting: usize,
    depth: usize,
    max_depth: usize,
    position: &'a dyn Fn(u64) -> Option<CelPosition>,
}

impl Walk<'_> {
    fn unsupported(&self, e: &IdedExpr, what: String) -> CelError {
        CelError::new(
            PolicyErrorKind::CelUnsupported,
            format!("{what} is outside the supported CEL subset (policy-v1.md §4)"),
            (self.position)(e.id),
        )
    }

    fn expr(&mut self, e: &IdedExpr) -> Result<Shape, CelError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(CelError::new(
                PolicyErrorKind::CelLimit,
                format!("condition nests deeper than {}", self.max_depth),
                (self.position)(e.id),
            ));
        }
        let shape = self.inner(e);
        self.depth -= 1;
        shape
    }

    fn inner(&mut self, e: &IdedExpr) -> Result<Shape, CelError> {
        let mut shape = Shape {
            flat: 1,
            loops: Vec::new(),
        };
        let add = |child: Shape, shape: &mut Shape| {
            shape.flat = shape.flat.saturating_add(child.flat);
            shape.loops.extend(child.loops);
        };
        match &e.expr {
            Expr::Literal(LiteralValue::Bytes(_)) => {
                return Err(self.unsupported(e, "a bytes literal".into()))
            }
            Expr::Literal(_) => {}
            Expr::Ident(name) => {
                if !self.scope.iter().any(|s| s == name) {
                    if facts::is_namespace(name) {
                        self.namespaces |= facts::namespace_bit(name);
                    } else {
                        return Err(CelError::new(
                            PolicyErrorKind::UnknownFact,
                            format!(
                                "unknown fact `{name}` (namespaces: {})",
                                facts::NAMESPACES.join(", ")
                            ),
                            (self.position)(e.id),
                        ));
                    }
                }
            }
            Expr::Select(select) => {
                if let Expr::Ident(root) = &select.operand.expr {
                    if !self.scope.iter().any(|s| s == root) && facts::is_namespace(root) {
                        if facts::lookup(root, &select.field).is_none() {
                            return Err(CelError::new(
                                PolicyErrorKind::UnknownFact,
                                format!("unknown fact `{root}.{}`", select.field),
                                (self.position)(e.id),
                            ));
                        }
                        self.facts.push(format!("{root}.{}", select.field));
                    }
                }
                if let Expr::Select(inner) = &select.operand.expr {
                    if let Expr::Ident(root) = &inner.operand.expr {
                        if !self.scope.iter().any(|s| s == root) {
                            if let Some(f) = facts::lookup(root, &inner.field) {
                                if f.ty != FactType::ObjectList {
                                    return Err(CelError::new(
                                        PolicyErrorKind::UnknownFact,
                                        format!(
                                            "unknown fact `{root}.{}.{}` (`{root}.{}` is {})",
                                            inner.field,
                                            select.field,
                                            inner.field,
                                            f.ty.as_str()
                                        ),
                                        (self.position)(e.id),
                                    ));
                                }
                            }
                        }
                    }
                }
                add(self.expr(&select.operand)?, &mut shape);
            }
            Expr::List(list) => {
                for item in &list.elements {
                    add(self.expr(item)?, &mut shape);
                }
            }
            Expr::Call(call) => {
                let Some((_, method, arities)) = FUNCTIONS
                    .iter()
                    .find(|(name, _, _)| *name == call.func_name)
                else {
                    return Err(self.unsupported(e, format!("function `{}`", call.func_name)));
                };
                if call.target.is_some() && !method {
                    return Err(self.unsupported(e, format!("`{}` as a method", call.func_name)));
                }
                if matches!(
                    call.func_name.as_str(),
                    "contains" | "startsWith" | "endsWith"
                ) && call.target.is_none()
                {
                    return Err(self.unsupported(
                        e,
                        format!(
                            "`{}` called as a function (write `x.{}(y)`)",
                            call.func_name, call.func_name
                        ),
                    ));
                }
                // Arity counts the receiver of a method call as the first argument.
                let argc = call.args.len() + usize::from(call.target.is_some());
                if !arities.contains(&argc) {
                    return Err(
                        self.unsupported(e, format!("`{}` with {argc} arguments", call.func_name))
                    );
                }
                if let Some(target) = &call.target {
                    self.check_receiver(&call.func_name, target)?;
                    add(self.expr(target)?, &mut shape);
                }
                for arg in &call.args {
                    add(self.expr(arg)?, &mut shape);
                }
            }
            Expr::Comprehension(c) => {
                if self.nesting >= self.max_nesting {
                    return Err(CelError::new(
                        PolicyErrorKind::CelLimit,
                        format!("comprehensions nest deeper than {}", self.max_nesting),
                        (self.position)(e.id),
                    ));
                }
                if c.iter_var2.is_some() {
                    return Err(self.unsupported(e, "a two-variable comprehension".into()));
                }
                let range = self.bound(&c.iter_range);
                add(self.expr(&c.iter_range)?, &mut shape);
                add(self.expr(&c.accu_init)?, &mut shape);
                self.scope.push(c.iter_var.clone());
                self.scope.push(c.accu_var.clone());
                self.nesting += 1;
                let body = (|| -> Result<Shape, CelError> {
                    let mut body = self.expr(&c.loop_cond)?;
                    let step = self.expr(&c.loop_step)?;
                    body.flat = body.flat.saturating_add(step.flat);
                    body.loops.extend(step.loops);
                    Ok(body)
                })();
                self.nesting -= 1;
                let result = body.and_then(|body| Ok((body, self.expr(&c.result)?)));
                self.scope.pop();
                self.scope.pop();
                let (body, result) = result?;
                add(result, &mut shape);
                shape.loops.push((range, body));
            }
            Expr::Map(_) => return Err(self.unsupported(e, "a map literal".into())),
            Expr::Struct(_) => return Err(self.unsupported(e, "a message literal".into())),
            Expr::Unspecified => return Err(self.unsupported(e, "an empty expression".into())),
        }
        Ok(shape)
    }

    /// A string method called on a fact of another type is a load error.
    fn check_receiver(&self, method: &str, target: &IdedExpr) -> Result<(), CelError> {
        let Expr::Select(select) = &target.expr else {
            return Ok(());
        };
        let Expr::Ident(root) = &select.operand.expr else {
            return Ok(());
        };
        if self.scope.iter().any(|s| s == root) {
            return Ok(());
        }
        let Some(fact) = facts::lookup(root, &select.field) else {
            return Ok(());
        };
        let fits = match method {
            "contains" => matches!(fact.ty, FactType::Str),
            "startsWith" | "endsWith" => fact.ty == FactType::Str,
            "size" => matches!(
                fact.ty,
                FactType::Str | FactType::StrList | FactType::ObjectList
            ),
            _ => true,
        };
        if fits {
            return Ok(());
        }
        Err(CelError::new(
            PolicyErrorKind::FactType,
            format!(
                "`{root}.{}` is {}: `{method}` does not apply",
                select.field,
                fact.ty.as_str()
            ),
            (self.position)(target.id),
        ))
    }

    /// The size bound of a list expression a comprehension ranges over.
    fn bound(&self, e: &IdedExpr) -> Bound {
        match &e.expr {
            Expr::List(list) => Bound {
                constant: list.elements.len() as u64,
                ..Bound::default()
            },
            Expr::Select(select) => match &select.operand.expr {
                Expr::Ident(root)
                    if !self.scope.iter().any(|s| s == root) && facts::is_namespace(root) =>
                {
                    Bound {
                        facts: facts::index_of(root, &select.field).into_iter().collect(),
                        ..Bound::default()
                    }
                }
                _ => Bound {
                    any: 1,
                    ..Bound::default()
                },
            },
            Expr::Call(call) if call.func_name == "_+_" && call.args.len() == 2 => {
                let mut total = Bound::default();
                for arg in &call.args {
                    let b = self.bound(arg);
                    total.constant = total.constant.saturating_add(b.constant);
                    total.facts.extend(b.facts);
                    total.any = total.any.saturating_add(b.any);
                }
                total
            }
            // map() and filter() keep the size of their range.
            Expr::Comprehension(c) => self.bound(&c.iter_range),
            _ => Bound {
                any: 1,
                ..Bound::default()
            },
        }
    }
}
