// Package limits holds the bounds every Clyra parser and verifier applies: the defaults of the
// normative table in spec/limits.md (L1–L23, L43–L46), mirrored field for field.
//
// A host MAY lower a limit; raising one makes its verdicts differ from other implementations.
package limits

// Limits bounds parsing and verification. Each field names its row of spec/limits.md and the code
// reported when an input exceeds it.
type Limits struct {
	// JSONMaxBytes is L1, the largest JSON document in bytes (jcs.too_large).
	JSONMaxBytes int64
	// JSONMaxDepth is L2, the deepest nesting of arrays and objects (jcs.too_deep).
	JSONMaxDepth int
	// JSONMaxStringBytes is L3, the longest decoded JSON string in bytes (jcs.string_too_long).
	JSONMaxStringBytes int64
	// JSONMaxEntries is L4, the most entries in one JSON object or array (jcs.too_many_entries).
	JSONMaxEntries int
	// JSONValuesBase is L43 and JSONBytesPerValue L44: a JSON document of n bytes holds at most
	// JSONValuesBase + n/JSONBytesPerValue values (jcs.too_many_values), which bounds the memory
	// its parsed form takes by a multiple of n.
	JSONValuesBase    int
	JSONBytesPerValue int
	// JSONMaxNumberBytes is L45, the longest JSON number token in bytes, sign, point and exponent
	// included (jcs.number_too_long).
	JSONMaxNumberBytes int
	// JSONMaxExponentDigits is L46, the most digits in a number token's exponent, leading zeros
	// included (jcs.number_too_long).
	JSONMaxExponentDigits int
	// MerkleMaxProofHashes is L5, the most hashes in one Merkle proof (merkle.proof_too_long).
	MerkleMaxProofHashes int
	// KeyMaxBytes is L6, the largest PEM or DER key in bytes (key.too_large).
	KeyMaxBytes int
	// DSSEMaxEnvelopeBytes is L7, the largest DSSE envelope file in bytes (dsse.too_large).
	DSSEMaxEnvelopeBytes int64
	// DSSEMaxPayloadBytes is L8, the largest decoded DSSE payload in bytes (dsse.payload_too_large).
	DSSEMaxPayloadBytes int64
	// DSSEMaxSignatures is L9, the most signatures in one DSSE envelope (dsse.too_many_signatures).
	DSSEMaxSignatures int
	// BundleMaxBytes is L10, the largest bundle file in bytes (zip.size_limit).
	BundleMaxBytes int64
	// BundleMaxTotalUncompressed is L11, the total uncompressed size of all entries (zip.size_limit).
	BundleMaxTotalUncompressed int64
	// BundleMaxEntries is L12, the most entries in one bundle (zip.size_limit).
	BundleMaxEntries int
	// ArtifactMaxBytes is L13, the largest artifact entry, uncompressed (zip.size_limit).
	ArtifactMaxBytes int64
	// ManifestMaxBytes is L14, the largest manifest.json, uncompressed (zip.size_limit).
	ManifestMaxBytes int64
	// JournalMaxBytes is L15, the largest journal.ndjson, uncompressed (zip.size_limit).
	JournalMaxBytes int64
	// JournalMaxEvents is L16, the most journal lines (journal.too_many_events).
	JournalMaxEvents int
	// JournalMaxLineBytes is L17, the longest journal line without its LF (journal.line_too_long).
	JournalMaxLineBytes int64
	// ZipMaxRatio is L18, the largest uncompressed/compressed ratio of a deflated entry of more
	// than ZipRatioMinBytes uncompressed (zip.ratio).
	ZipMaxRatio int64
	// ZipRatioMinBytes is the size above which L18 applies (1 MiB).
	ZipRatioMinBytes int64
	// BundleMaxSignatures is L19, the most signatures/ entries (zip.size_limit).
	BundleMaxSignatures int
	// BundleMaxApprovals is L20, the most approvals/ entries (zip.size_limit).
	BundleMaxApprovals int
	// BundleMaxKeys is L21, the most keys/ entries (zip.size_limit).
	BundleMaxKeys int
	// BundleMaxArtifacts is L22, the most artifacts/ entries (zip.size_limit).
	BundleMaxArtifacts int
	// ReceiptMaxBytes is L23, the largest receipt file in bytes (receipt.too_large).
	ReceiptMaxBytes int64
	// PolicyMaxBytes is L36, the largest policy file in bytes (policy.file, detail
	// policy.too_large), checked before the file is parsed (policy-v1.md §1.3).
	PolicyMaxBytes int64
}

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// Default returns the normative defaults of spec/limits.md.
func Default() Limits {
	return Limits{
		JSONMaxBytes:               64 * mib,
		JSONMaxDepth:               128,
		JSONMaxStringBytes:         16 * mib,
		JSONMaxEntries:             1_000_000,
		JSONValuesBase:             4096,
		JSONBytesPerValue:          8,
		JSONMaxNumberBytes:         800,
		JSONMaxExponentDigits:      4,
		MerkleMaxProofHashes:       64,
		KeyMaxBytes:                16 * kib,
		DSSEMaxEnvelopeBytes:       16 * mib,
		DSSEMaxPayloadBytes:        8 * mib,
		DSSEMaxSignatures:          16,
		BundleMaxBytes:             4*gib + mib,
		BundleMaxTotalUncompressed: 4 * gib,
		BundleMaxEntries:           10_000,
		ArtifactMaxBytes:           4 * gib,
		ManifestMaxBytes:           16 * mib,
		JournalMaxBytes:            1 * gib,
		JournalMaxEvents:           1_000_000,
		JournalMaxLineBytes:        1 * mib,
		ZipMaxRatio:                200,
		ZipRatioMinBytes:           1 * mib,
		BundleMaxSignatures:        16,
		BundleMaxApprovals:         16,
		BundleMaxKeys:              32,
		BundleMaxArtifacts:         4096,
		ReceiptMaxBytes:            32 * mib,
		PolicyMaxBytes:             1 * mib,
	}
}
