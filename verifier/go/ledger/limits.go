package ledger

// The ledger's fixed bounds, spec/limits.md L47–L55: format constants shared with the Rust core
// (core/src/ledger/limits.rs), not host settings.
const (
	// MaxProofBytes is L47, the largest ledger proof file in bytes (ledger.proof_schema).
	MaxProofBytes = 1 << 20
	// MaxRecordBytes is L48, the largest record (canonical JSON) in bytes (ledger.record).
	MaxRecordBytes = 65_535
	// MaxNoteSignatures is L49, the signature lines of one signed note (ledger.checkpoint_malformed).
	MaxNoteSignatures = 100
	// MaxTreeSize is L50, the largest tree size and cosignature timestamp, 2^63 − 1.
	MaxTreeSize = uint64(1<<63 - 1)
	// TileWidth is L51, the hashes of a full tile and records of a full entry bundle.
	TileWidth = 256
	// MaxRecordApprovals is L52, the approvals one record lists (ledger.record).
	MaxRecordApprovals = 16
	// MaxSubjectBytes is L53, a record's subject in bytes (ledger.record).
	MaxSubjectBytes = 4_096
	// MaxNoteBytes is L54, the largest signed note (checkpoint) in bytes (ledger.checkpoint_malformed).
	MaxNoteBytes = 1 << 20
	// MaxAppendRecords is L55, the records one append adds (ledger.append_too_large; appends are
	// Rust-only, the value is here so both tables stay one).
	MaxAppendRecords = 100_000
)
