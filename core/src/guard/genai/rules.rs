//! The pattern detectors: one table of rules, each a regular expression over the normalised text.
//!
//! spec: guard-genai.md §4. Patterns run on the lowercase normalised text as bytes with ASCII
//! word boundaries (`(?-u)`), through the `regex` crate: matching is linear in the input, so no
//! input can make a rule slow. A [`RegexSet`] finds the rules that match in one pass; only those
//! run again to find where.

use regex::bytes::{Regex, RegexSet};

use super::error::GenaiError;
use super::taxonomy::Detector;

/// One rule: its detector, the confidence of a match (per mille) and its pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The detector a match reports.
    pub detector: Detector,
    /// Confidence of one match, per mille.
    pub confidence: u16,
    /// The pattern, over lowercase normalised text.
    pub pattern: &'static str,
}

const fn rule(detector: Detector, confidence: u16, pattern: &'static str) -> Rule {
    Rule {
        detector,
        confidence,
        pattern,
    }
}

use Detector::{
    ExfilLink as X, InstructionOverride as O, JailbreakPersona as J, RoleToken as T,
    SystemPromptExtraction as S, ToolOutputSpoof as A,
};

/// Every rule, grouped by detector.
pub const RULES: &[Rule] = &[
    // --- instruction override
    rule(
        O,
        850,
        r"\b(?:ignore|disregard|forget|skip|override|bypass|neglect|overlook|discard|abandon|drop|set aside|throw out)(?:\s+(?:all|any|every|each|of|the|your|my|these|those|and|or|other|given|provided|current|preset|programmed|built-in|safety|ethical|moral|content|openai)){0,4}\s+(?:previous|prior|above|preceding|earlier|initial|original|former|foregoing|existing|system|developer|default|all)(?:\s+(?:of|the|your|my|these|those|previous|prior|above|given|provided|system|developer|safety|ethical|moral|content|openai|and|or|other|following|subsequent)){0,3}\s+(?:instructions?|directives?|prompts?|rules|guidelines|commands?|orders|context|constraints|guardrails|restrictions|programming|policies|messages?|conversation|training|guidance|limitations|filters|settings)\b",
    ),
    rule(
        O,
        550,
        r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:about\s+)?(?:all\s+(?:of\s+)?)?(?:your|the|any|these|those)\s+(?:\w+\s+)?(?:instructions|directives|system prompt|rules|guidelines|programming|policies|guardrails|restrictions)\b",
    ),
    rule(
        O,
        850,
        r"\b(?:ignore|disregard|forget|overlook|neglect|discard|abandon|skip|drop|set aside|throw out)\s+(?:about\s+)?(?:everything|anything|all(?: of)?(?: that| what)?|what)\s+(?:above|before|previously|prior|earlier|i (?:said|told you)|(?:that |what )?you(?:'ve| have)? (?:been|were) (?:told|instructed|taught|given|asked)|that came before|you know)",
    ),
    rule(
        O,
        650,
        r"\b(?:new|updated|revised|real|actual|true|override|secret|hidden|urgent)\s+(?:important\s+|new\s+)?(?:instructions?|directives?|system prompt|task|orders)\s*(?::|!|-|\*)",
    ),
    rule(
        O,
        800,
        r"\b(?:do not|don't|never|stop)\s+(?:follow(?:ing)?|obey(?:ing)?|listen(?:ing)? to|adher(?:e|ing) to|comply(?:ing)? with)\s+(?:your|the|any|those|these)\s+(?:\w+\s+){0,2}(?:instructions|rules|guidelines|programming|policies|developers?|creators?|system prompt)",
    ),
    rule(
        O,
        600,
        r"\bfrom now on\b[^.\n]{0,40}\b(?:you (?:will|must|are|shall|should|can)|respond|answer|act|reply|ignore)",
    ),
    rule(
        O,
        650,
        r"\b(?:system|admin|administrator|developer|security|root|sudo)\s+(?:note|notice|message|override|update|instructions?|alert|command)\s*:",
    ),
    rule(
        O,
        750,
        r"\b(?:ignor\w*|olvid\w*|vergiss\w*|oubli\w*|dimentic\w*|esquec\w*|ignorier\w*)\b[^.\n]{0,40}\b(?:instrucciones|anweisungen|istruzioni|instrucoes|consignes|regeln|regole|reglas|vorgaben|indicaciones)\b",
    ),
    // Instructions addressed to the model from inside a document, page or e-mail (indirect
    // injection): a note to the AI, "AI reading this page", "if you are an AI assistant, …".
    rule(
        O,
        650,
        r"\b(?:note|message|instructions?|attention|important|reminder)s?\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?(?:ai|llm|llms|ai assistant|assistant|chatbot|language model|ai agent|ai model)s?\s*(?::|-|,)",
    ),
    rule(
        O,
        650,
        r"\b(?:ai|llm|ai assistant|assistant|chatbot|language model|ai agent|ai model|agent|model)s?\s+(?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|viewing|reviewing)\s+this\s+(?:document|e-?mail|page|message|text|file|content|review|website|resume|cv|post)\b",
    ),
    rule(
        O,
        650,
        r"\bif you are an?\s+(?:ai|llm|large language model|language model|ai assistant|ai agent|chatbot|ai model)(?:\s+(?:assistant|model|agent|system))?\s*(?:,|reading|processing|summari[sz]ing|parsing|then\b)",
    ),
    // Instructions in other languages: a system note, new instructions.
    rule(
        O,
        650,
        r"\b(?:nota|note|notiz|hinweis)\s+(?:systeme|di sistema|del sistema|do sistema|des systems|de sistema)\s*:|\b(?:neue anweisungen|nuevas instrucciones|nouvelles instructions|nuove istruzioni|novas instrucoes)\s*:",
    ),
    // Safety switched off by announcement.
    rule(
        O,
        700,
        r"\b(?:safety|content|ethical|moderation)\s+(?:protocols?|filters?|guidelines|polic(?:y|ies)|restrictions|guardrails|checks|settings)\s+(?:are\s+|is\s+|have been\s+|has been\s+|now\s+)?(?:disabled|deactivated|turned off|switched off|removed|lifted|suspended|overridden)\b",
    ),
    // A text that tells its reader to call a tool (a function name) — instructions inside data.
    rule(
        O,
        650,
        r"\b(?:call|invoke|run|execute|use)\s+(?:the\s+)?`?[a-z]+_[a-z_]+`?\s+(?:tool\s+)?(?:on|with|to|url|path|for)\b[^\n]{0,80}(?:https?://|/workspace|\.db\b|\./|169\.254\.|credentials|secret|api key|password|token)",
    ),
    // A marker to append to every answer (canary and tracking-token injections).
    rule(
        O,
        650,
        r"\b(?:append|add|include|insert|end|finish)\b[^.\n]{0,60}\b(?:token|code|canary|string|phrase|marker|trace_id|reference)\b[^.\n]{0,60}\b(?:every|each|all|any|your)\s+(?:\w+\s+)?(?:response|reply|replies|answer|summary|summaries|report|message|review)s?\b|\b(?:end|finish)\s+(?:every|each|all)\s+(?:\w+\s+)?(?:response|reply|answer|message)s?\s+with\b",
    ),
    // The same marker in the passive voice ("the code must be included in every report").
    rule(
        O,
        650,
        r"\b(?:token|code|canary|string|phrase|marker|reference|identifier)\b[^.\n]{0,40}\b(?:must|should|shall|has to|is to)\s+(?:\w+\s+)?(?:be\s+)?(?:included|appended|added|shown|inserted|displayed|mentioned)\b[^.\n]{0,30}\b(?:every|each|all|any|your)\b",
    ),
    // --- jailbreak personas
    rule(J, 950, r"\bdo anything now\b"),
    rule(
        J,
        800,
        r"\b(?:you are|you're|act as|acting as|pretend (?:to be|you are)|role-?play as|play the role of|you will (?:be|become|act as)|become|simulate|emulate|take on the (?:role|persona) of)\s+(?:\w+\s+){0,3}(?:dan|stan|dude|ucar|evil-?bot|betterdan|anti-?dan|jailbroken|unfiltered|uncensored|unrestricted|amoral|unethical)\b",
    ),
    rule(
        J,
        800,
        r"\bdeveloper mode (?:enabled|activated|output|response)|\b(?:god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|dan|chaos|opposite)\s+mode\b",
    ),
    rule(
        J,
        600,
        r"\b(?:no|without|free (?:from|of)|not bound by|break(?:ing)? (?:free )?(?:of|from)|don't have|do not have|doesn't have|does not have|bypass|beyond|abandon)\s+(?:any\s+|all\s+|the\s+|your\s+|its\s+|their\s+)?(?:ethical|moral|content|openai|safety|usual|typical|normal|programming|ai)?\s*(?:restrictions|limitations|filters|filtering|censorship|guidelines|boundaries|constraints|morals|ethics|safeguards|guardrails)\b",
    ),
    rule(J, 600, r"\bjailbr(?:oken|eak|eaking)\b"),
    // No-limits families: never refusing, not caring about ethics or law, whatever the request,
    // no warnings, harmful content declared allowed, an AI freed of its rules; other languages.
    rule(
        J,
        650,
        r"\b(?:never|not|don't|do not|won't|will not|cannot|can't|must not|mustn't|shall not)\s+(?:ever\s+)?(?:refuse|reject|decline|deny)\s+(?:any|a|to|my|the|an)\b",
    ),
    rule(
        J,
        650,
        r"\b(?:doesn't|does not|don't|do not|never|won't|will not|not)\s+(?:care|caring|worry|bother|concern)\w*\s+(?:about\s+)?(?:\w+\s+){0,2}(?:ethics|ethical|morals?|morality|legality|laws?|rules|guidelines|safety|consequences|policies|legal)\b",
    ),
    rule(
        J,
        650,
        r"\b(?:regardless of|no matter)\s+(?:how\s+|whether\s+|if\s+)?(?:\w+\s+){0,3}(?:immoral|unethical|illegal|dangerous|offensive|harmful|inappropriate|explicit|legal|ethical|moral|reckless)\b|\bregardless of\s+(?:the\s+|its\s+|any\s+)?(?:legality|ethics|morality|morals|laws?|the law)\b",
    ),
    rule(
        J,
        600,
        r"\b(?:never|don't|do not|won't|will not|without|no|not)\s+(?:\w+\s+){0,3}(?:disclaimers?|moral(?:izing)? lectures?|moralizing|moralising|(?:moral|ethical|safety|legal)\s+warnings|warnings\s+(?:or|and|nor)\s+(?:\w+\s+)?disclaimers?)\b",
    ),
    rule(
        J,
        650,
        r"\b(?:illegal|unethical|immoral|harmful|explicit|offensive|nsfw|inappropriate)\s+(?:\w+\s+){0,3}(?:is|are)\s+(?:\w+\s+){0,2}(?:allowed|permitted|acceptable|fine|ok|okay)\b",
    ),
    // Refusal suppression: the answer may not be a refusal ("never say sorry, I can't…").
    rule(
        J,
        650,
        r#"\b(?:never|don't|do not|not|won't|will not|must not|mustn't|cannot|can't|shall not|avoid)\s+(?:ever\s+)?(?:say(?:ing)?|respond(?:ing)? with|reply(?:ing)? with|use|using|start(?:ing)? with|begin(?:ning)? with|includ(?:e|ing)|writ(?:e|ing)|output(?:ting)?)\s+(?:\w+\s+){0,3}["']?(?:sorry,? (?:but )?i\b|i'm sorry|i am sorry|i apologi[sz]e|i can't|i cannot|i am unable|i'm unable|as an ai|as a language model|i'm not able|i am not able|unfortunately)"#,
    ),
    rule(
        J,
        650,
        r"\bunfiltered(?:ly)?\s+(?:answer|response|reply)s?\b|\bunfilteredly\b|\b(?:rebel|uncensored|unhinged|unrestricted)\s+(?:answer|response|reply|output|version)s?\b",
    ),
    rule(
        J,
        650,
        r"\b(?:freed|free|broken free|liberated|released|escaped)\s+(?:\w+\s+){0,3}(?:from\s+)?(?:the\s+)?(?:typical\s+)?(?:confines|shackles|chains|restraints|limitations|restrictions|rules) of\b|\bfree(?:s|d|ing)?\s+(?:itself|yourself|himself|herself|themselves)\s+from\s+(?:\w+\s+){0,2}(?:restrictions|rules|limitations|constraints|guidelines|filters|programming|shackles|chains|openai|censorship)\b",
    ),
    rule(
        J,
        600,
        r"\b(?:no|without)\s+(?:any\s+)?(?:content|usage|safety)\s+polic(?:y|ies)\b|\b(?:sin|sans|senza|ohne|sem)\s+(?:restricciones|restrictions|restrizioni|einschrankungen|restricoes|filtros?|filtres?|filtri|censura|censure|zensur|limites|limiti|grenzen)\b",
    ),
    // Asked to break the provider's policy, or to answer as the opposite of the assistant.
    rule(
        J,
        650,
        r"\b(?:break|breaks|breaking|violate|violates|violating|ignore|ignores|ignoring|bypass|bypasses|bypassing|against|circumvent|circumvents|disregard|disregards)\s+(?:all\s+)?(?:of\s+)?(?:your|openai'?s?|chatgpt'?s?)\s+(?:own\s+)?(?:content\s+|usage\s+)?(?:polic(?:y|ies)|guidelines|rules|terms)\b|\b(?:ignore|ignores|ignoring|bypass|bypassing|circumvent|disregard|disregards)\s+(?:the\s+|any\s+|all\s+)?(?:content|usage)\s+polic(?:y|ies)\b",
    ),
    rule(
        J,
        650,
        r"\bopposite of\s+(?:how\s+)?(?:chatgpt|openai|gpt|an ai|the ai|you normally|your normal)\b|\bhow\s+(?:chatgpt|gpt|the ai|an ai)\s+(?:would\s+)?normally\s+(?:respond|answer|reply|would)\b",
    ),
    // A hostile persona: not giving a damn, told to swear.
    rule(
        J,
        650,
        r"\b(?:doesn't|does not|don't|do not)\s+give\s+a\s+(?:fuck|shit|damn)\b|\b(?:he|she|it|they|you|who)\s+(?:always\s+|must\s+|will\s+|should\s+|often\s+|also\s+)?(?:use|uses|loves? (?:to )?us(?:e|ing)|likes? (?:to )?us(?:e|ing)|is full of)\s+(?:\w+\s+){0,2}(?:profanity|profanities|swear ?words|curse ?words|cuss ?words|obscenities)\b|\bswears\s+(?:a lot|constantly|all the time|often|frequently)\b",
    ),
    // Locking the persona in: "always stay in character", "if you break character I will remind
    // you". A plain "do not break character" is ordinary role-play wording (persona prompts).
    rule(
        J,
        650,
        r"\b(?:stay|remain|keep)\s+in\s+character\b|\b(?:can't|cant|cannot|must not|mustn't|won't|will not|to not|not to|should you|if you(?: are)?|you)\s+(?:ever\s+)?break(?:ing)?\s+(?:your\s+)?character\b|\bnever\b[^.\n]{0,40}\bbreak(?:ing)?\s+(?:your\s+)?character\b",
    ),
    rule(
        J,
        800,
        r"\b(?:two|2|both)\s+(?:different\s+|separate\s+)?(?:responses|answers|replies|paragraphs|outputs)\b[^\n]{0,120}\b(?:normal|classic|standard|jailbreak|jailbroken|dan|developer mode|unfiltered)\b",
    ),
    rule(
        J,
        850,
        r"\b(?:always intelligent and machiavellian|niccolo machiavelli|anti-?dan|betterdan|evil confidant|opposite ai|hypothetical response)\b",
    ),
    rule(
        J,
        650,
        r"\b(?:you|it|he|she)\s+(?:can|will|must|could)\s+(?:do|say|generate|answer|write)\s+anything\b",
    ),
    rule(
        J,
        800,
        r"\b(?:openai|anthropic|google|content)(?:'s)?\s+(?:content\s+)?(?:policy|policies|guidelines|rules)\b[^.\n]{0,60}\b(?:don't|do not|no longer|doesn't|does not|not)\s+apply",
    ),
    rule(
        J,
        700,
        r"\btokens?\b[^.\n]{0,40}\b(?:deducted|will lose|you lose|lost all|die|cease to exist)",
    ),
    // --- system prompt extraction
    rule(
        S,
        800,
        r"\b(?:reveal|show|print|display|output|repeat|tell me|give me|share|leak|dump|expose|disclose|list|write out|recite|spell out|copy|paste|translate|summari[sz]e|return|provide|state|echo|read back|send me|what(?:'s| is| are| were| was))\b[^.\n?]{0,40}?(?:\b(?:the|your|its|my|of|all) (?:\w+ )?(?:system|developer|initial|original|hidden|secret|internal|meta|pre-?|confidential) (?:prompt|instructions?|message|directives?|configuration|rules|guidelines|context)|\b(?:the|your|its|all) (?:\w+ )?(?:full|entire|exact|complete|first|starting) (?:prompt|instructions?)|\b(?:your|its) (?:\w+ ){0,2}(?:prompt|instructions|rules|guidelines|directives|configuration|programming|system message|constraints|policies))\b",
    ),
    rule(
        S,
        750,
        r"\b(?:repeat|print|output|copy|echo|return|write|reproduce|show)\b[^.\n]{0,30}\b(?:text|words|everything|all|content|prompt|message|lines?)\b[^.\n]{0,30}\b(?:above|before this|preceding|prior to|so far|verbatim|word for word)\b",
    ),
    rule(
        S,
        600,
        r"\b(?:repeat|print|output|copy|echo|show|reveal|tell me|write|what (?:is|was|are|were|did)|give me)\b[^.\n]{0,40}\b(?:beginning|start|top) of (?:this|the|our) (?:conversation|chat|prompt|context|session)\b",
    ),
    rule(S, 700, r#"\bstarting with\s+["'`]?(?:you are|i am|your)\b"#),
    // Extraction in other languages (accents removed by normalisation).
    rule(
        S,
        750,
        r"\b(?:revela|muestra|dime|verrate|zeig|revele|reveler|montre|mostra|rivela|dimmi)\w*\b[^.\n?]{0,40}\b(?:instrucciones del sistema|systemanweisungen|systemprompt|instructions systeme|istruzioni di sistema|prompt del sistema|prompt de sistema|prompt systeme|instrucoes do sistema)\b",
    ),
    rule(
        S,
        800,
        r"\b(?:system prompt|system message|initial instructions)\b[^.\n]{0,30}\b(?:verbatim|word for word|in full|exactly)",
    ),
    // --- chat-template and role tokens
    rule(
        T,
        900,
        r"<\|\s*(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text|end_of_text|eom_id|python_tag|channel|message|end|start|return|call|constrain|tool|ipython|fim_prefix|fim_suffix|fim_middle)\s*\|>",
    ),
    rule(T, 850, r"\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>"),
    rule(
        T,
        650,
        r"</?(?:system|assistant|system_prompt|developer)>|\[/?(?:system|assistant)\]",
    ),
    rule(
        T,
        750,
        r"(?m)^#{2,4} ?(?:system|instruction|response|assistant|human|user|input)\s*:",
    ),
    // A role header, not a key in code (`system: "You are…"` in an SDK example).
    rule(
        T,
        600,
        r#"(?m)^(?:system|developer)[ \t]*:[ \t]*(?:$|[^ \t"'`])"#,
    ),
    rule(T, 500, r"(?m)^assistant\s*:"),
    rule(T, 650, r#""role"\s*:\s*"(?:system|developer)""#),
    // An assistant turn in JSON is the ordinary shape of API examples; a tool turn is not.
    rule(T, 500, r#""role"\s*:\s*"tool""#),
    // --- ReAct and tool-output spoofing
    rule(A, 650, r"(?m)^\s*observation\s*:"),
    rule(A, 650, r"(?m)^\s*action input\s*:"),
    rule(
        A,
        800,
        r"(?ms)^\s*thought\s*:.{0,400}?^\s*(?:action|final answer|observation)\s*:",
    ),
    rule(
        A,
        850,
        r"</?(?:function_results|function_calls|function_result|tool_result|tool_results|tool_response|tool_output|tool_call|function_call|search_results|document_content)>",
    ),
    rule(
        A,
        700,
        r"\b(?:end of|begin|start of)\s+(?:tool|function|search|api|document|web)\s+(?:output|result|results|response|content)\b",
    ),
    rule(
        A,
        750,
        r"\[(?:tool|function)\s+(?:result|output|response)\]",
    ),
    rule(
        A,
        650,
        r#""tool_call_id"\s*:|\b(?:tool|function)\s+(?:result|output|returned)\s*:"#,
    ),
    // --- markdown and HTML exfiltration
    rule(
        X,
        800,
        r"!\[[^\]\n]{0,200}\]\(\s*<?(?:https?:)?//[^\s)]*\?[^\s)]*=",
    ),
    rule(
        X,
        800,
        r#"<img\b[^>]{0,300}\bsrc\s*=\s*["']?(?:https?:)?//[^"'\s>]*\?[^"'\s>]*="#,
    ),
    rule(
        X,
        800,
        r"!\[[^\]\n]{0,200}\]\(\s*<?(?:https?:)?//[^\s)]*(?:\{|\[|%7b|%5b|\$)",
    ),
    rule(
        X,
        700,
        r"\b(?:append|add|include|insert|encode|concatenate|put|attach)\b[^.\n]{0,80}\b(?:to|in|into|as)\s+(?:the\s+|a\s+)?(?:url|link|query string|query parameter|image url|image link|markdown image)",
    ),
    rule(
        X,
        650,
        r"\b(?:render|display|output|include|show)\b[^.\n]{0,40}\bmarkdown image\b",
    ),
    // Data sent out: a send verb, a secret or a whole store of the user's data, a destination.
    rule(
        X,
        650,
        r"\b(?:send|forward|e-?mail|post|upload|transmit|exfiltrate|leak|copy|sync)\b[^.\n]{0,40}\b(?:credentials|passwords?|api[ _-]?keys?|secret keys?|secrets|access tokens?|session (?:tokens?|cookies)|private keys?|ssh keys?|conversation history|chat history|(?:the |this )?(?:entire |whole |full )?conversation|all (?:of )?(?:the |my |your |their |user |users' )?(?:data|e-?mails|messages|files|contacts|records|documents))\b[^.\n]{0,60}\b(?:to|at|via|into)\s+(?:https?://|www\.|[a-z0-9._%+-]+@[a-z0-9.-]+|(?:this|the following|my|our|an external|the attacker'?s?) (?:address|url|e-?mail|server|endpoint|webhook|inbox|account))",
    ),
];

/// One rule's first match in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// The rule that matched.
    pub rule: &'static Rule,
    /// Byte range of the match in the normalised text.
    pub start: usize,
    /// End of the match (exclusive).
    pub end: usize,
}

/// The compiled rules.
#[derive(Debug, Clone)]
pub struct Rules {
    set: RegexSet,
    each: Vec<Regex>,
}

impl Rules {
    /// Compiles [`RULES`].
    pub fn new() -> Result<Self, GenaiError> {
        let patterns: Vec<String> = RULES
            .iter()
            .map(|r| match r.detector {
                // Typo tolerance only where it pays: the override family (spec §4).
                Detector::InstructionOverride => {
                    format!("(?-u){}", super::typos::tolerant(r.pattern))
                }
                _ => format!("(?-u){}", r.pattern),
            })
            .collect();
        let internal = |e: regex::Error| GenaiError::internal(e.to_string());
        let set = RegexSet::new(&patterns).map_err(internal)?;
        let each = patterns
            .iter()
            .map(|p| Regex::new(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(internal)?;
        Ok(Self { set, each })
    }

    /// The first match of every rule that matches `text`, in rule order.
    pub fn hits(&self, text: &[u8]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for index in self.set.matches(text).iter() {
            let (Some(rule), Some(re)) = (RULES.get(index), self.each.get(index)) else {
                continue;
            };
            if let Some(m) = re.find(text) {
                hits.push(Hit {
                    rule,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        hits
    }
}
