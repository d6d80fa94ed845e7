package limits

import "testing"

// TestDefaultsMatchTable pins every default to the byte values printed in spec/limits.md.
func TestDefaultsMatchTable(t *testing.T) {
	l := Default()
	checks := []struct {
		id   string
		got  int64
		want int64
	}{
		{"L1", l.JSONMaxBytes, 67_108_864},
		{"L2", int64(l.JSONMaxDepth), 128},
		{"L3", l.JSONMaxStringBytes, 16_777_216},
		{"L4", int64(l.JSONMaxEntries), 1_000_000},
		{"L5", int64(l.MerkleMaxProofHashes), 64},
		{"L6", int64(l.KeyMaxBytes), 16_384},
		{"L7", l.DSSEMaxEnvelopeBytes, 16_777_216},
		{"L8", l.DSSEMaxPayloadBytes, 8_388_608},
		{"L9", int64(l.DSSEMaxSignatures), 16},
		{"L10", l.BundleMaxBytes, 4_296_015_872},
		{"L11", l.BundleMaxTotalUncompressed, 4_294_967_296},
		{"L12", int64(l.BundleMaxEntries), 10_000},
		{"L13", l.ArtifactMaxBytes, 4_294_967_296},
		{"L14", l.ManifestMaxBytes, 16_777_216},
		{"L15", l.JournalMaxBytes, 1_073_741_824},
		{"L16", int64(l.JournalMaxEvents), 1_000_000},
		{"L17", l.JournalMaxLineBytes, 1_048_576},
		{"L18", l.ZipMaxRatio, 200},
		{"L18 threshold", l.ZipRatioMinBytes, 1_048_576},
		{"L19", int64(l.BundleMaxSignatures), 16},
		{"L20", int64(l.BundleMaxApprovals), 16},
		{"L21", int64(l.BundleMaxKeys), 32},
		{"L22", int64(l.BundleMaxArtifacts), 4096},
		{"L23", l.ReceiptMaxBytes, 33_554_432},
		{"L36", l.PolicyMaxBytes, 1_048_576},
		{"L43", int64(l.JSONValuesBase), 4096},
		{"L44", int64(l.JSONBytesPerValue), 8},
		{"L45", int64(l.JSONMaxNumberBytes), 800},
		{"L46", int64(l.JSONMaxExponentDigits), 4},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.id, c.got, c.want)
		}
	}
}
