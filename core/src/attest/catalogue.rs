//! The control catalogue of attestation-v0.md §5: per framework, the controls an attestation
//! evaluates (identifiers exactly as `CONTROLS.md` writes them), their requirements and the
//! plain-language rationale, and the identifiers left out of scope with the reason.

use super::Requirement::{
    self, Anchors, Approval, Enforce, Mfa, Policy, Retention, Sod, Tests, TwoPerson, Verified,
    Voice,
};

/// A framework an attestation can be made for (attestation-v0.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framework {
    /// SOX ITGC (PCAOB AS 2201 with COSO 2013).
    Sox,
    /// PCI DSS v4.0.1, Requirements 10 and 6.5.
    Pci,
    /// HIPAA Security Rule.
    Hipaa,
    /// EU AI Act (Regulation (EU) 2024/1689).
    EuAiAct,
    /// NIST AI RMF 1.0.
    NistRmf,
    /// TCPA (47 U.S.C. 227; 47 CFR 64.1200).
    Tcpa,
    /// SOC 2 (2017 TSC, revised points of focus 2022).
    Soc2,
}

impl Framework {
    /// Every framework, in the order of attestation-v0.md §1.2.
    pub const ALL: [Framework; 7] = [
        Framework::Sox,
        Framework::Pci,
        Framework::Hipaa,
        Framework::EuAiAct,
        Framework::NistRmf,
        Framework::Tcpa,
        Framework::Soc2,
    ];

    /// The framework's id on the command line and in the predicate, e.g. `eu-ai-act`.
    pub const fn id(self) -> &'static str {
        match self {
            Framework::Sox => "sox",
            Framework::Pci => "pci",
            Framework::Hipaa => "hipaa",
            Framework::EuAiAct => "eu-ai-act",
            Framework::NistRmf => "nist-rmf",
            Framework::Tcpa => "tcpa",
            Framework::Soc2 => "soc2",
        }
    }

    /// The framework by its id.
    pub fn parse(id: &str) -> Option<Framework> {
        Framework::ALL.into_iter().find(|f| f.id() == id)
    }

    /// The framework's name as CONTROLS.md writes it.
    pub const fn name(self) -> &'static str {
        match self {
            Framework::Sox => "SOX ITGC",
            Framework::Pci => "PCI DSS v4.0.1",
            Framework::Hipaa => "HIPAA",
            Framework::EuAiAct => "EU AI Act",
            Framework::NistRmf => "NIST AI RMF",
            Framework::Tcpa => "TCPA",
            Framework::Soc2 => "SOC 2",
        }
    }

    /// The controls this framework's attestation evaluates, in catalogue order.
    pub fn controls(self) -> &'static [ControlDef] {
        match self {
            Framework::Sox => SOX,
            Framework::Pci => PCI,
            Framework::Hipaa => HIPAA,
            Framework::EuAiAct => AI_ACT,
            Framework::NistRmf => NIST,
            Framework::Tcpa => TCPA,
            Framework::Soc2 => SOC2,
        }
    }

    /// The framework's identifiers left out of the attestation, each with the reason.
    pub fn out_of_scope(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Framework::Sox => &[("Change-management retention (7 years by practice)", RETAIN_CUSTOMER)],
            Framework::Pci => &[
                ("10.2.1.3", "Clyra does not journal reads of stored bundles"),
                ("10.2.1.5", "trust-file key changes are not bundle evidence"),
                ("10.2.1.6", "journal genesis is in every bundle; log start and stop of the customer's systems is not"),
                ("10.3.1", CUSTOMER_STORAGE),
                ("10.3.3", CUSTOMER_STORAGE),
                ("10.4.1", DAILY_REVIEW),
                ("10.4.1.1", DAILY_REVIEW),
                ("10.4.2", DAILY_REVIEW),
                ("10.4.2.1", DAILY_REVIEW),
                ("10.4.3", DAILY_REVIEW),
                ("10.6.1", CUSTOMER_CLOCK),
                ("10.6.2", CUSTOMER_CLOCK),
                ("10.6.3", CUSTOMER_CLOCK),
                ("10.7.2", "control-failure alerting is the customer's scheduled verify with alerts on exit codes"),
                ("10.7.3", "control-failure response is the customer's"),
                ("6.5.2", "post-change PCI confirmation is not recorded"),
                ("6.5.3", "environment separation is enforced by the customer's access controls"),
                ("6.5.5", "live PANs in pre-production are not evidenced"),
                ("6.5.6", "removal of test data and accounts is not evidenced"),
            ],
            Framework::Hipaa => &[("164.308(a)(1)(ii)(D)", DAILY_REVIEW)],
            Framework::EuAiAct => &[
                ("Art. 12(2)(b)–(c)", "post-market and deployer monitoring are the provider's and deployer's processes"),
                ("Art. 12(3)", "remote biometric identification is not a Clyra use case"),
                ("Art. 14(4)(a)–(e)", "oversight capabilities are properties of the AI system, not of bundles"),
                ("Art. 18", RETAIN_CUSTOMER),
                ("Art. 26(5)", "deployer monitoring is the deployer's process"),
                ("Art. 73", "incident reports are not bundle evidence"),
            ],
            Framework::NistRmf => &[
                ("GOVERN 1.1", "legal requirements are the organisation's"),
                ("GOVERN 1.5", DAILY_REVIEW),
                ("GOVERN 1.6", "the AI inventory is the organisation's"),
                ("GOVERN 1.7", "decommissioning is not bundle evidence"),
                ("GOVERN 2.1", "roles documentation is the organisation's"),
                ("GOVERN 4.3", "testing and incident practices are the organisation's"),
                ("GOVERN 6.2", "third-party contingency is the organisation's"),
                ("MEASURE 3.1", DAILY_REVIEW),
                ("MANAGE 2.4", "kill-switch evidence is not evaluated per bundle"),
                ("MANAGE 4.3", "incident communication is not bundle evidence"),
            ],
            Framework::Tcpa => &[
                ("227(b)(1)(A)(iii), (B)", CONSENT),
                ("64.1200(a)(2), (a)(3), (f)(9)", CONSENT),
                ("64.1200(b)(1)–(b)(3)", "disclosure scripts are not evaluated"),
                ("64.1200(d)(1)–(d)(6)", "the written DNC policy and training are the caller's"),
            ],
            Framework::Soc2 => &[],
        }
    }
}

const RETAIN_CUSTOMER: &str =
    "storage and retention are the customer's; bundles record the period only";
const CUSTOMER_STORAGE: &str = "storage access and WORM copies are the customer's";
const CUSTOMER_CLOCK: &str = "host clock synchronisation is the customer's";
const DAILY_REVIEW: &str =
    "log review is evidenced by the daily review report, not by this attestation";
const CONSENT: &str =
    "consent records themselves are the caller's; Clyra records the policy decision only";

/// One control of the catalogue (attestation-v0.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlDef {
    /// The identifier exactly as CONTROLS.md writes it.
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// The control's objective in plain language.
    pub objective: &'static str,
    /// The requirements evaluated per bundle, `verified` first.
    pub requirements: &'static [Requirement],
    /// The minimum retention in months, for controls that list `retention`.
    pub retention_months: u64,
}

const fn ctl(
    id: &'static str,
    title: &'static str,
    objective: &'static str,
    requirements: &'static [Requirement],
) -> ControlDef {
    ControlDef {
        id,
        title,
        objective,
        requirements,
        retention_months: 0,
    }
}

const fn keep(
    id: &'static str,
    title: &'static str,
    objective: &'static str,
    months: u64,
) -> ControlDef {
    ControlDef {
        id,
        title,
        objective,
        requirements: &[Verified, Retention],
        retention_months: months,
    }
}

const SOX: &[ControlDef] = &[
    ctl("Program changes", "Program changes are authorised, tested and approved before production", "changes to dbt models, warehouse DDL and pipeline code are authorised, tested and approved before they reach production, by an approver independent of the author and the deployer", &[Verified, Approval, Sod, Tests, Enforce]),
    ctl("Access to programs and data", "Access to programs and data is authenticated", "who changed production code or data is identified, and approvers authenticated with MFA", &[Verified, Mfa]),
    ctl("Computer operations", "Runs are recorded and their outcome known", "scheduled jobs run and are monitored; their events and outcomes are recorded in a trail that cannot be altered undetected", &[Verified]),
    ctl("Program development", "New pipelines are tested and accepted", "new pipelines and systems are tested and accepted before production", &[Verified, Approval, Tests]),
    ctl("COSO P10", "Segregation of duties", "control activities address segregation of duties: author, approver and deployer are different people", &[Verified, Sod]),
    ctl("COSO P12", "Policies deployed through procedures", "control activities are deployed through policies: the policy in force is bound to each change", &[Verified, Policy]),
    ctl("AS 1105.10", "Completeness and accuracy of the change population", "the population of production changes is complete and accurate: each change is anchored in the warehouse's own logs and the journal has no gap", &[Verified, Anchors]),
];

const PCI: &[ControlDef] = &[
    ctl("10.2.1", "Audit logs enabled and active", "audit logs are enabled and active for every run and action", &[Verified]),
    ctl("10.2.1.1", "Individual access to data logged", "individual user access to cardholder data is logged", &[Verified, Anchors]),
    ctl("10.2.1.2", "Administrative actions logged", "all actions by anyone with administrative access, including application and system accounts, are logged", &[Verified]),
    ctl("10.2.1.4", "Invalid access attempts logged", "invalid logical access attempts (denied requests) are logged", &[Verified, Policy]),
    ctl("10.2.1.7", "System-level object changes logged", "creation and deletion of system-level objects is logged", &[Verified, Anchors]),
    ctl("10.2.2", "Log entries record who, what, when, outcome", "each entry records user, event type, date and time, success or failure, origin and affected resource", &[Verified]),
    ctl("10.3.2", "Logs protected from modification", "audit log files are protected against modification", &[Verified]),
    ctl("10.3.4", "Change detection on logs", "changes to logs are detected by change-detection mechanisms", &[Verified]),
    keep("10.5.1", "Log retention", "audit logs are retained for at least 12 months", 12),
    ctl("6.5.1", "Changes follow procedures", "changes have a reason, security impact, documented approval and testing", &[Verified, Approval, Tests]),
    ctl("6.5.4", "Separated roles; only approved changes deploy", "roles are separated so that only reviewed and approved changes are deployed", &[Verified, Sod, Enforce]),
];

const HIPAA: &[ControlDef] = &[
    ctl("164.312(b)", "Audit controls", "mechanisms record and examine activity in systems that hold ePHI", &[Verified, Anchors]),
    ctl("164.312(c)(1)", "Integrity", "ePHI is protected from improper alteration by approved, policy-enforced changes", &[Verified, Approval, Policy, Enforce]),
    ctl("164.312(c)(2)", "Mechanism to authenticate ePHI", "electronic mechanisms corroborate that change records and hashed artifacts were not altered", &[Verified]),
    keep("164.316(b)(2)(i)", "Documentation time limit", "documentation is kept 6 years", 72),
];

const AI_ACT: &[ControlDef] = &[
    ctl("Art. 12(1)", "Automatic recording of events", "the system automatically records events over its lifetime", &[Verified]),
    ctl("Art. 12(2)(a)", "Logs identify risk situations", "logs enable identifying situations that may present a risk", &[Verified]),
    ctl("Art. 14(1)", "Human oversight", "natural persons can oversee, override or stop the system: changes are held for human approval", &[Verified, Approval]),
    ctl("Art. 14(5)", "Verification by two natural persons", "where required, action only after separate verification by at least two natural persons", &[Verified, TwoPerson]),
    keep("Art. 19(1)", "Provider keeps logs", "the provider keeps logs at least 6 months", 6),
    keep("Art. 26(6)", "Deployer keeps logs", "the deployer keeps logs at least 6 months", 6),
];

const NIST: &[ControlDef] = &[
    ctl(
        "GOVERN 1.4",
        "Transparent policies and controls",
        "the risk process is set through transparent policies, procedures and controls",
        &[Verified, Policy],
    ),
    ctl(
        "GOVERN 3.2",
        "Human-AI roles defined",
        "roles and responsibilities for human-AI configurations and oversight are defined",
        &[Verified, Sod],
    ),
    ctl(
        "MAP 3.5",
        "Human oversight processes",
        "human-oversight processes are defined, assessed and documented",
        &[Verified, Approval],
    ),
    ctl(
        "MEASURE 2.4",
        "Production behaviour monitored",
        "AI system functionality and behaviour are monitored in production",
        &[Verified],
    ),
    ctl(
        "MEASURE 2.8",
        "Transparency and accountability risks",
        "transparency and accountability risks are examined and documented",
        &[Verified],
    ),
    ctl(
        "MANAGE 4.1",
        "Post-deployment monitoring and overrides",
        "post-deployment monitoring includes override and change management",
        &[Verified, Approval],
    ),
];

const TCPA: &[ControlDef] = &[
    ctl(
        "64.1200(a)(10)",
        "Revocation of consent honoured",
        "consent revoked by any reasonable means is honoured",
        &[Verified, Voice],
    ),
    ctl(
        "64.1200(c)(1)",
        "Calling hours",
        "no solicitation before 8 a.m. or after 9 p.m. at the called party's local time",
        &[Verified, Voice],
    ),
    ctl(
        "64.1200(c)(2)",
        "National DNC registry",
        "no solicitation to numbers on the national do-not-call registry",
        &[Verified, Voice],
    ),
    ctl(
        "FCC 24-17",
        "AI voices are artificial voices",
        "consent, identification and opt-out rules apply to AI voice agents",
        &[Verified, Voice],
    ),
];

const SOC2: &[ControlDef] = &[
    ctl(
        "CC6.1",
        "Logical access security",
        "users are identified and authenticated, credentials and keys managed",
        &[Verified, Mfa],
    ),
    ctl(
        "CC7.2",
        "Anomaly monitoring",
        "components are monitored for anomalies analysed as security events",
        &[Verified],
    ),
    ctl(
        "CC7.3",
        "Security event evaluation",
        "security events are evaluated and acted on",
        &[Verified, Policy],
    ),
    ctl(
        "CC8.1",
        "Change management",
        "changes are authorised, tested, approved and implemented",
        &[Verified, Approval, Sod, Tests],
    ),
];

impl Requirement {
    /// What Clyra records for this requirement (the rationale's mechanism).
    pub const fn mechanism(self) -> &'static str {
        match self {
            Verified => "each bundle is verified offline: strict container, canonical manifest, hash-chained journal, Merkle root and producer signatures by trusted keys",
            Approval => "changes to production (or flagged by policy) carry signed approvals bound to the exact change, given before the first execution event",
            Sod => "approvers are distinct people, none of them the author or the deployer, and the author is not the deployer",
            Mfa => "each approval records whether the approver authenticated with MFA",
            TwoPerson => "a two-person rule requires two approvals from distinct trusted approvers",
            Tests => "the run's test results are recorded per test in the signed manifest",
            Anchors => "each run records anchors into the warehouse's own logs (query ids, WAL positions, table versions)",
            Policy => "the hash of the policy in force is signed with each change",
            Enforce => "policy decisions that restrict a change are enforced, not shadowed",
            Retention => "each manifest records its retention period",
            Voice => "calls to phone numbers are decided by the policy in force, in enforce mode",
        }
    }

    /// The evidence an auditor finds for it in a bundle.
    pub const fn evidence(self) -> &'static str {
        match self {
            Verified => "the bundle's verdict (VALID) by `clyra verify`",
            Approval => "`approvals.required` and `approvals.entries` of manifest.json, and the approvals/*.dsse.json envelopes",
            Sod => "`change.actor`, `change.deployer` and each approval's `sso_sub`",
            Mfa => "`mfa_verified` in each approval payload",
            TwoPerson => "two entries in `approvals.entries` when `approvals.required` is 2",
            Tests => "`def.tests` of manifest.json (status per test)",
            Anchors => "`anchors` of manifest.json",
            Policy => "`policy.hash` of manifest.json",
            Enforce => "`policy.decisions[].mode` of manifest.json",
            Retention => "`retention.period` of manifest.json",
            Voice => "`pef.operations[].target` (tel:) and `policy.decisions` of manifest.json",
        }
    }

    /// How an auditor re-tests it by hand.
    pub const fn retest(self) -> &'static str {
        match self {
            Verified => "run `clyra verify BUNDLE --trust TRUST --at VERIFIED_AT` (or the Go verifier) and expect VALID",
            Approval => "open manifest.json, compare `approvals.entries` with `approvals.required`, and check each envelope's `approved_at` precedes the first journal event",
            Sod => "compare each approval's `sso_sub` with `change.actor` and `change.deployer`",
            Mfa => "decode each approval envelope's payload and read `mfa_verified`",
            TwoPerson => "count the approval entries and check the two `sso_sub` differ",
            Tests => "read `def.tests` and look for status `fail` or `error`",
            Anchors => "look up each anchor in the warehouse's query history or log",
            Policy => "hash the policy file with `clyra policy canon` and compare with `policy.hash`",
            Enforce => "read each decision's `mode`: anything but `allow` must be `enforce`",
            Retention => "read `retention.period` and compare it with the minimum",
            Voice => "for each `tel:` operation, read the decision and its mode",
        }
    }
}

/// The control of `framework` with identifier `id`.
pub fn control(framework: Framework, id: &str) -> Option<&'static ControlDef> {
    framework.controls().iter().find(|c| c.id == id)
}
