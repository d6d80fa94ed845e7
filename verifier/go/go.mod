module github.com/clyra-dev/clyra/verifier/go

go 1.25.0

require (
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.2
	golang.org/x/mod v0.40.0
)

require golang.org/x/text v0.14.0 // indirect
