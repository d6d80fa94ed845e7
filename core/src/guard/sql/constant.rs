//! A small constant folder: decides whether a predicate is always true, always false, always
//! NULL, or depends on the row (guard-sql.md §2.2).
//!
//! It folds literals, `NOT`, `AND`/`OR` (three-valued), comparisons, arithmetic, `IS [NOT] NULL`,
//! `IS [NOT] TRUE/FALSE`, `[NOT] IN (…)`, `[NOT] BETWEEN`, `LIKE '%'`, casts, and treats a column
//! compared with itself (`x = x`, `x >= x`, `x IN (x)`) as true. `AND`/`OR` chains are flattened
//! with an explicit stack, so a left-deep chain of any length never recurses; other nesting is
//! folded to [`MAX_DEPTH`] and judged [`Truth::Unknown`] beyond.

use std::cmp::Ordering;

use sqlparser::ast::{BinaryOperator, Expr, UnaryOperator, Value};

/// How deep the folder recurses through non-chain nodes before giving up.
pub(crate) const MAX_DEPTH: usize = 64;

/// The value of a predicate over every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    Null,
    Unknown,
}

impl Truth {
    fn not(self) -> Self {
        match self {
            Self::True => Self::False,
            Self::False => Self::True,
            other => other,
        }
    }

    fn of(b: bool) -> Self {
        if b {
            Self::True
        } else {
            Self::False
        }
    }
}

/// A folded scalar.
#[derive(Debug, Clone, PartialEq)]
enum Scalar<'a> {
    Num(f64),
    Str(&'a str),
    Owned(String),
    Bool(bool),
    Null,
    /// A column reference, compared structurally with another.
    Column(&'a Expr),
    Unknown,
}

impl Scalar<'_> {
    fn text(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            Self::Owned(s) => Some(s),
            _ => None,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Self::Num(n) => Some(*n),
            Self::Bool(b) => Some(f64::from(u8::from(*b))),
            other => other.text().and_then(|t| t.trim().parse().ok()),
        }
    }

    fn is_constant(&self) -> bool {
        !matches!(self, Self::Column(_) | Self::Unknown)
    }
}

/// The truth of `expr` over every row.
pub(crate) fn truth(expr: &Expr) -> Truth {
    truth_at(expr, 0)
}

/// Whether `expr` is an `OR` (at its top, through parentheses) with a disjunct that is always
/// true: the injection signature `… OR 1=1`.
pub(crate) fn has_true_disjunct(expr: &Expr) -> bool {
    let mut operands = Vec::new();
    flatten(expr, BinaryOperator::Or, &mut operands);
    operands.len() > 1 && operands.iter().any(|e| truth_at(e, 1) == Truth::True)
}

/// The operands of a chain of `op` under `expr`, through parentheses, without recursion.
fn flatten<'a>(expr: &'a Expr, op: BinaryOperator, out: &mut Vec<&'a Expr>) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Nested(inner) => stack.push(inner),
            Expr::BinaryOp { left, op: o, right } if *o == op => {
                stack.push(right);
                stack.push(left);
            }
            other => out.push(other),
        }
    }
}

fn truth_at(expr: &Expr, depth: usize) -> Truth {
    if depth > MAX_DEPTH {
        return Truth::Unknown;
    }
    let d = depth + 1;
    match expr {
        Expr::Nested(inner) => truth_at(inner, d),
        Expr::BinaryOp {
            op: op @ (BinaryOperator::And | BinaryOperator::Or),
            ..
        } => chain(expr, op.clone(), d),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => truth_at(expr, d).not(),
        Expr::BinaryOp { left, op, right } => compare(left, op, right, d),
        Expr::IsNull(e) => null_test(e, d, true),
        Expr::IsNotNull(e) => null_test(e, d, false),
        Expr::IsTrue(e) => Truth::of(truth_at(e, d) == Truth::True).known(truth_at(e, d)),
        Expr::IsNotTrue(e) => Truth::of(truth_at(e, d) != Truth::True).known(truth_at(e, d)),
        Expr::IsFalse(e) => Truth::of(truth_at(e, d) == Truth::False).known(truth_at(e, d)),
        Expr::IsNotFalse(e) => Truth::of(truth_at(e, d) != Truth::False).known(truth_at(e, d)),
        Expr::IsNotDistinctFrom(a, b) => distinct(a, b, d).not(),
        Expr::IsDistinctFrom(a, b) => distinct(a, b, d),
        Expr::InList {
            expr,
            list,
            negated,
        } => in_list(expr, list, d).negate_if(*negated),
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let ge = compare(expr, &BinaryOperator::GtEq, low, d);
            let le = compare(expr, &BinaryOperator::LtEq, high, d);
            and(ge, le).negate_if(*negated)
        }
        Expr::Like {
            negated,
            any: false,
            expr,
            pattern,
            escape_char: None,
        }
        | Expr::ILike {
            negated,
            any: false,
            expr,
            pattern,
            escape_char: None,
        } => like_all(expr, pattern, d).negate_if(*negated),
        other => match scalar(other, d) {
            Scalar::Bool(b) => Truth::of(b),
            Scalar::Null => Truth::Null,
            Scalar::Num(n) => Truth::of(n != 0.0),
            _ => Truth::Unknown,
        },
    }
}

impl Truth {
    /// `self`, unless the operand is unknown.
    fn known(self, operand: Truth) -> Truth {
        if operand == Truth::Unknown {
            Truth::Unknown
        } else {
            self
        }
    }

    fn negate_if(self, negated: bool) -> Truth {
        if negated {
            self.not()
        } else {
            self
        }
    }
}

fn and(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Truth::False, _) | (_, Truth::False) => Truth::False,
        (Truth::True, Truth::True) => Truth::True,
        (Truth::Unknown, _) | (_, Truth::Unknown) => Truth::Unknown,
        _ => Truth::Null,
    }
}

fn or(a: Truth, b: Truth) -> Truth {
    and(a.not(), b.not()).not()
}

/// Folds a whole `AND` or `OR` chain iteratively.
fn chain(expr: &Expr, op: BinaryOperator, depth: usize) -> Truth {
    let mut operands = Vec::new();
    flatten(expr, op.clone(), &mut operands);
    let is_and = op == BinaryOperator::And;
    let mut acc = if is_and { Truth::True } else { Truth::False };
    for operand in operands {
        let t = truth_at(operand, depth);
        acc = if is_and { and(acc, t) } else { or(acc, t) };
        let decided = if is_and { Truth::False } else { Truth::True };
        if acc == decided {
            return acc;
        }
    }
    acc
}

fn null_test(e: &Expr, depth: usize, is_null: bool) -> Truth {
    match scalar(e, depth) {
        Scalar::Null => Truth::of(is_null),
        s if s.is_constant() => Truth::of(!is_null),
        _ => Truth::Unknown,
    }
}

fn distinct(a: &Expr, b: &Expr, depth: usize) -> Truth {
    let (x, y) = (scalar(a, depth), scalar(b, depth));
    match (&x, &y) {
        (Scalar::Column(p), Scalar::Column(q)) if p == q => Truth::False,
        (Scalar::Null, Scalar::Null) => Truth::False,
        (Scalar::Null, o) | (o, Scalar::Null) if o.is_constant() => Truth::True,
        _ => match order(&x, &y) {
            Some(o) => Truth::of(o != Ordering::Equal),
            None => Truth::Unknown,
        },
    }
}

fn in_list(expr: &Expr, list: &[Expr], depth: usize) -> Truth {
    let mut acc = Truth::False;
    for item in list {
        acc = or(acc, compare(expr, &BinaryOperator::Eq, item, depth));
        if acc == Truth::True {
            break;
        }
    }
    acc
}

/// `x LIKE '%'` (any number of `%` only) matches every non-NULL `x`.
fn like_all(expr: &Expr, pattern: &Expr, depth: usize) -> Truth {
    let pattern = scalar(pattern, depth);
    let all = pattern
        .text()
        .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c == '%'));
    match scalar(expr, depth) {
        Scalar::Null => Truth::Null,
        Scalar::Column(_) | Scalar::Str(_) | Scalar::Owned(_) | Scalar::Num(_) if all => {
            Truth::True
        }
        _ => Truth::Unknown,
    }
}

/// Orders two constant scalars, or `None` when either is not constant or they do not compare.
fn order(a: &Scalar<'_>, b: &Scalar<'_>) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Bool(x), Scalar::Bool(y)) => Some(x.cmp(y)),
        _ => {
            if let (Some(x), Some(y)) = (a.text(), b.text()) {
                return Some(x.cmp(y));
            }
            if !a.is_constant() || !b.is_constant() {
                return None;
            }
            a.number()?.partial_cmp(&b.number()?)
        }
    }
}

fn compare(left: &Expr, op: &BinaryOperator, right: &Expr, depth: usize) -> Truth {
    let cmp: fn(Ordering) -> bool = match op {
        BinaryOperator::Eq => Ordering::is_eq,
        BinaryOperator::NotEq => Ordering::is_ne,
        BinaryOperator::Lt => Ordering::is_lt,
        BinaryOperator::LtEq => Ordering::is_le,
        BinaryOperator::Gt => Ordering::is_gt,
        BinaryOperator::GtEq => Ordering::is_ge,
        _ => {
            return match scalar_op(left, op, right, depth) {
                Scalar::Bool(b) => Truth::of(b),
                Scalar::Null => Truth::Null,
                _ => Truth::Unknown,
            }
        }
    };
    let (a, b) = (scalar(left, depth), scalar(right, depth));
    match (&a, &b) {
        // A column compared with itself: true for every row where it is not NULL.
        (Scalar::Column(p), Scalar::Column(q)) if p == q => Truth::of(cmp(Ordering::Equal)),
        (Scalar::Null, _) | (_, Scalar::Null) => Truth::Null,
        _ => order(&a, &b).map_or(Truth::Unknown, |o| Truth::of(cmp(o))),
    }
}

fn scalar(expr: &Expr, depth: usize) -> Scalar<'_> {
    if depth > MAX_DEPTH {
        return Scalar::Unknown;
    }
    let d = depth + 1;
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().map_or(Scalar::Unknown, Scalar::Num),
            Value::Boolean(b) => Scalar::Bool(*b),
            Value::Null => Scalar::Null,
            Value::Placeholder(_) => Scalar::Unknown,
            other => match other {
                Value::SingleQuotedString(s)
                | Value::DoubleQuotedString(s)
                | Value::EscapedStringLiteral(s)
                | Value::NationalStringLiteral(s)
                | Value::TripleSingleQuotedString(s)
                | Value::TripleDoubleQuotedString(s) => Scalar::Str(s),
                _ => Scalar::Unknown,
            },
        },
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => Scalar::Column(expr),
        Expr::Nested(inner) => scalar(inner, d),
        Expr::Cast { expr, .. } => scalar(expr, d),
        Expr::UnaryOp { op, expr } => match (op, scalar(expr, d)) {
            (UnaryOperator::Minus, Scalar::Num(n)) => Scalar::Num(-n),
            (UnaryOperator::Plus, Scalar::Num(n)) => Scalar::Num(n),
            (UnaryOperator::Not, _) => truth_scalar(truth_at(expr, d).not()),
            (_, Scalar::Null) => Scalar::Null,
            _ => Scalar::Unknown,
        },
        Expr::BinaryOp { left, op, right } => scalar_op(left, op, right, d),
        other => truth_scalar(boolean_only(other, d)),
    }
}

/// The truth of boolean-valued expressions that are not plain scalars; others are unknown.
fn boolean_only(expr: &Expr, depth: usize) -> Truth {
    match expr {
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsNotTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotFalse(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::InList { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. } => truth_at(expr, depth),
        _ => Truth::Unknown,
    }
}

fn truth_scalar(t: Truth) -> Scalar<'static> {
    match t {
        Truth::True => Scalar::Bool(true),
        Truth::False => Scalar::Bool(false),
        Truth::Null => Scalar::Null,
        Truth::Unknown => Scalar::Unknown,
    }
}

fn scalar_op<'a>(left: &'a Expr, op: &BinaryOperator, right: &'a Expr, depth: usize) -> Scalar<'a> {
    match op {
        BinaryOperator::And
        | BinaryOperator::Or
        | BinaryOperator::Eq
        | BinaryOperator::NotEq
        | BinaryOperator::Lt
        | BinaryOperator::LtEq
        | BinaryOperator::Gt
        | BinaryOperator::GtEq => truth_scalar(match op {
            BinaryOperator::And => and(truth_at(left, depth), truth_at(right, depth)),
            BinaryOperator::Or => or(truth_at(left, depth), truth_at(right, depth)),
            cmp => compare(left, cmp, right, depth),
        }),
        BinaryOperator::StringConcat => match (scalar(left, depth), scalar(right, depth)) {
            (Scalar::Null, _) | (_, Scalar::Null) => Scalar::Null,
            (a, b) => match (a.text(), b.text()) {
                (Some(x), Some(y)) => Scalar::Owned(format!("{x}{y}")),
                _ => Scalar::Unknown,
            },
        },
        arith @ (BinaryOperator::Plus
        | BinaryOperator::Minus
        | BinaryOperator::Multiply
        | BinaryOperator::Divide
        | BinaryOperator::Modulo) => {
            let (a, b) = (scalar(left, depth), scalar(right, depth));
            if a == Scalar::Null || b == Scalar::Null {
                return Scalar::Null;
            }
            let (Scalar::Num(x), Scalar::Num(y)) = (a, b) else {
                return Scalar::Unknown;
            };
            let n = match arith {
                BinaryOperator::Plus => x + y,
                BinaryOperator::Minus => x - y,
                BinaryOperator::Multiply => x * y,
                BinaryOperator::Divide if y != 0.0 => x / y,
                BinaryOperator::Modulo if y != 0.0 => x % y,
                _ => return Scalar::Unknown,
            };
            if n.is_finite() {
                Scalar::Num(n)
            } else {
                Scalar::Unknown
            }
        }
        _ => Scalar::Unknown,
    }
}
