package attest

// Requirement names of attestation-v0.md §4.2.
const (
	reqVerified  = "verified"
	reqApproval  = "approval"
	reqSod       = "sod"
	reqMfa       = "mfa"
	reqTwoPerson = "two_person"
	reqTests     = "tests"
	reqAnchors   = "anchors"
	reqPolicy    = "policy"
	reqEnforce   = "enforce"
	reqRetention = "retention"
	reqVoice     = "voice"
)

// control is one catalogue entry of attestation-v0.md §5: id, title, requirements and, for
// controls that list retention, the minimum in months.
type control struct {
	id, title    string
	requirements []string
	months       uint64
}

func ctl(id, title string, reqs ...string) control {
	return control{id: id, title: title, requirements: reqs}
}

func keep(id, title string, months uint64) control {
	return control{id: id, title: title, requirements: []string{reqVerified, reqRetention}, months: months}
}

// catalogue maps each framework id to its controls, in catalogue order (attestation-v0.md §5).
var catalogue = map[string][]control{
	"sox": {
		ctl("Program changes", "Program changes are authorised, tested and approved before production", reqVerified, reqApproval, reqSod, reqTests, reqEnforce),
		ctl("Access to programs and data", "Access to programs and data is authenticated", reqVerified, reqMfa),
		ctl("Computer operations", "Runs are recorded and their outcome known", reqVerified),
		ctl("Program development", "New pipelines are tested and accepted", reqVerified, reqApproval, reqTests),
		ctl("COSO P10", "Segregation of duties", reqVerified, reqSod),
		ctl("COSO P12", "Policies deployed through procedures", reqVerified, reqPolicy),
		ctl("AS 1105.10", "Completeness and accuracy of the change population", reqVerified, reqAnchors),
	},
	"pci": {
		ctl("10.2.1", "Audit logs enabled and active", reqVerified),
		ctl("10.2.1.1", "Individual access to data logged", reqVerified, reqAnchors),
		ctl("10.2.1.2", "Administrative actions logged", reqVerified),
		ctl("10.2.1.4", "Invalid access attempts logged", reqVerified, reqPolicy),
		ctl("10.2.1.7", "System-level object changes logged", reqVerified, reqAnchors),
		ctl("10.2.2", "Log entries record who, what, when, outcome", reqVerified),
		ctl("10.3.2", "Logs protected from modification", reqVerified),
		ctl("10.3.4", "Change detection on logs", reqVerified),
		keep("10.5.1", "Log retention", 12),
		ctl("6.5.1", "Changes follow procedures", reqVerified, reqApproval, reqTests),
		ctl("6.5.4", "Separated roles; only approved changes deploy", reqVerified, reqSod, reqEnforce),
	},
	"hipaa": {
		ctl("164.312(b)", "Audit controls", reqVerified, reqAnchors),
		ctl("164.312(c)(1)", "Integrity", reqVerified, reqApproval, reqPolicy, reqEnforce),
		ctl("164.312(c)(2)", "Mechanism to authenticate ePHI", reqVerified),
		keep("164.316(b)(2)(i)", "Documentation time limit", 72),
	},
	"eu-ai-act": {
		ctl("Art. 12(1)", "Automatic recording of events", reqVerified),
		ctl("Art. 12(2)(a)", "Logs identify risk situations", reqVerified),
		ctl("Art. 14(1)", "Human oversight", reqVerified, reqApproval),
		ctl("Art. 14(5)", "Verification by two natural persons", reqVerified, reqTwoPerson),
		keep("Art. 19(1)", "Provider keeps logs", 6),
		keep("Art. 26(6)", "Deployer keeps logs", 6),
	},
	"nist-rmf": {
		ctl("GOVERN 1.4", "Transparent policies and controls", reqVerified, reqPolicy),
		ctl("GOVERN 3.2", "Human-AI roles defined", reqVerified, reqSod),
		ctl("MAP 3.5", "Human oversight processes", reqVerified, reqApproval),
		ctl("MEASURE 2.4", "Production behaviour monitored", reqVerified),
		ctl("MEASURE 2.8", "Transparency and accountability risks", reqVerified),
		ctl("MANAGE 4.1", "Post-deployment monitoring and overrides", reqVerified, reqApproval),
	},
	"tcpa": {
		ctl("64.1200(a)(10)", "Revocation of consent honoured", reqVerified, reqVoice),
		ctl("64.1200(c)(1)", "Calling hours", reqVerified, reqVoice),
		ctl("64.1200(c)(2)", "National DNC registry", reqVerified, reqVoice),
		ctl("FCC 24-17", "AI voices are artificial voices", reqVerified, reqVoice),
	},
	"soc2": {
		ctl("CC6.1", "Logical access security", reqVerified, reqMfa),
		ctl("CC7.2", "Anomaly monitoring", reqVerified),
		ctl("CC7.3", "Security event evaluation", reqVerified, reqPolicy),
		ctl("CC8.1", "Change management", reqVerified, reqApproval, reqSod, reqTests),
	},
}
