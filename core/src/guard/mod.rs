//! Guards: fast, pure decisions on what an agent or a pipeline is about to do (DESIGN §10).
pub mod genai;
