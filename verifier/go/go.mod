module github.com/clyra-dev/clyra/verifier/go

go 1.25
