// Package conformance locates the public conformance data (../shared/conformance next to the
// repository) for tests, which read it in place and fail, never skip, when it is missing.
package conformance

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the conformance folder: $CLYRA_SHARED/conformance when CLYRA_SHARED is set, else
// ../shared/conformance relative to the repository root, found by walking up from the working
// directory to the folder holding verifier/go/go.mod. It fails the test when the folder is missing.
func Dir(t testing.TB) string {
	t.Helper()
	if shared := os.Getenv("CLYRA_SHARED"); shared != "" {
		return mustDir(t, filepath.Join(shared, "conformance"))
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "verifier", "go", "go.mod")); err == nil {
			return mustDir(t, filepath.Join(dir, "..", "shared", "conformance"))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no repository root (a folder with verifier/go/go.mod) above %s; set CLYRA_SHARED", wd)
		}
		dir = parent
	}
}

// Path returns Dir joined with the given elements.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}

// ReadFile reads a file under Dir, failing the test when it cannot.
func ReadFile(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(Path(t, elem...))
	if err != nil {
		t.Fatalf("conformance data: %v", err)
	}
	return b
}

func mustDir(t testing.TB, dir string) string {
	t.Helper()
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("conformance data missing at %s (set CLYRA_SHARED to the shared folder): %v", dir, err)
	}
	return dir
}
