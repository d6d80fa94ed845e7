//! MCP mode: a route that proxies an MCP server over streamable HTTP reads each JSON-RPC
//! message; a `tools/call` gets the same checks as any request, and its journal event records
//! the PEF MCP facts (pef-v0.md §4): server id, tool, params hash, result hash, approval
//! principal.

use bytes::Bytes;
use clyra_core::digest::Sha256Digest;
use clyra_core::jcs::{self, Map, Value};
use clyra_core::Limits;

use crate::answer::Answer;

/// One JSON-RPC request to an MCP server.
#[derive(Debug, Clone)]
pub struct McpCall {
    /// The server id from the route.
    pub server_id: String,
    /// JSON-RPC `id` (absent for notifications).
    pub id: Option<Value>,
    /// JSON-RPC `method`.
    pub method: String,
    /// `params.name` of a `tools/call`.
    pub tool: Option<String>,
    /// `params.arguments` as canonical JSON text (what the GenAI scan reads).
    pub arguments: String,
    /// Canonical JSON of `params` (what the loop breaker counts).
    pub params_canonical: Vec<u8>,
}

impl McpCall {
    /// Whether this is a `tools/call`.
    pub fn is_tool_call(&self) -> bool {
        self.method == "tools/call"
    }

    /// The MCP facts recorded in the journal event.
    pub fn facts(&self) -> Map {
        let mut m = Map::new();
        m.insert("server_id", Value::from(self.server_id.as_str()));
        m.insert("operation", Value::from(self.method.as_str()));
        if let Some(t) = &self.tool {
            m.insert("tool", Value::from(t.as_str()));
        }
        m.insert(
            "params_hash",
            Value::from(Sha256Digest::of(&self.params_canonical).to_prefixed()),
        );
        m
    }
}

/// A JSON-RPC error answer (HTTP `status`, JSON-RPC `code`).
fn rpc_error(status: u16, rpc_code: i32, id: Option<&Value>, message: &str) -> Answer {
    let mut err = Map::new();
    err.insert("code", Value::Number(jcs::Number::from(rpc_code)));
    err.insert("message", Value::from(message));
    let mut m = Map::new();
    m.insert("jsonrpc", Value::from("2.0"));
    m.insert("id", id.cloned().unwrap_or(Value::Null));
    m.insert("error", Value::from(err));
    let mut a = Answer::block(status, "gateway.jsonrpc", "deny", message.to_owned());
    a.body = Bytes::from(jcs::to_vec(&Value::from(m)));
    a
}

/// Reads one JSON-RPC 2.0 message; anything else is a 400 with a JSON-RPC error.
pub fn parse_request(body: &[u8], server_id: &str, limits: &Limits) -> Result<McpCall, Answer> {
    let value = jcs::parse(body, limits)
        .map_err(|e| rpc_error(400, -32700, None, &format!("parse error: {e}")))?;
    let Value::Object(obj) = &value else {
        return Err(rpc_error(
            400,
            -32600,
            None,
            "invalid request: one JSON-RPC object expected",
        ));
    };
    let id = obj.get("id").cloned();
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(rpc_error(
            400,
            -32600,
            id.as_ref(),
            "invalid request: `jsonrpc` must be \"2.0\"",
        ));
    }
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        return Err(rpc_error(
            400,
            -32600,
            id.as_ref(),
            "invalid request: `method` is required",
        ));
    };
    let params = obj.get("params").cloned().unwrap_or(Value::Null);
    let mut tool = None;
    let mut arguments = String::new();
    if method == "tools/call" {
        let Some(name) = params.get("name").and_then(Value::as_str) else {
            return Err(rpc_error(
                400,
                -32602,
                id.as_ref(),
                "invalid params: `tools/call` needs `params.name`",
            ));
        };
        tool = Some(name.to_owned());
        if let Some(args) = params.get("arguments") {
            arguments = String::from_utf8_lossy(&jcs::to_vec(args)).into_owned();
        }
    }
    Ok(McpCall {
        server_id: server_id.to_owned(),
        id,
        method: method.to_owned(),
        tool,
        arguments,
        params_canonical: jcs::to_vec(&params),
    })
}

/// `sha256:` of the canonical JSON-RPC `result` (or `error`) answering `call`, read from a JSON
/// body or from the `data:` lines of a `text/event-stream` body.
pub fn result_hash(answer: &Answer, call: &McpCall, limits: &Limits) -> Option<String> {
    let answers = |v: &Value| -> Option<String> {
        if call.id.is_some() && v.get("id") != call.id.as_ref() {
            return None;
        }
        let r = v.get("result").or_else(|| v.get("error"))?;
        Some(Sha256Digest::of(&jcs::to_vec(r)).to_prefixed())
    };
    if let Ok(v) = jcs::parse(&answer.body, limits) {
        return answers(&v);
    }
    let text = std::str::from_utf8(&answer.body).ok()?;
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| jcs::parse(d.trim().as_bytes(), limits).ok())
        .find_map(|v| answers(&v))
}
