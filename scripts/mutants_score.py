#!/usr/bin/env python3
"""The ledger of scripts/mutants: every mutant's latest outcome across runs, and the score per area.

    mutants_score.py record LEDGER OUTCOMES_JSON  fold one cargo-mutants run into the ledger
    mutants_score.py score LEDGER ALL_TXT         print the table for the mutants ALL_TXT lists
    mutants_score.py settled LEDGER               the names caught or unviable (what --iterate skips)

Score = (caught + timeouts) / (tested - unviable): a timeout is a mutant that made the tests hang,
which the run reports as a failure. A mutant the code no longer makes (ALL_TXT, written from
`cargo mutants --list` before each run) drops out of the table. The ledger is committed
(docs/mutants-ledger.json): the scores in the README come from it, and a run resumes from it.
"""

import json
import sys
from pathlib import Path

AREAS = [
    ("engine", ("reference-sync/src/engine/",)),
    ("clients", ("reference-sync/src/clients/", "reference-sync/src/http/", "reference-sync/src/psa.rs")),
    ("verdicts", ("harness/src/",)),
]
WORDS = {
    "CaughtMutant": "caught",
    "MissedMutant": "missed",
    "Unviable": "unviable",
    "Timeout": "timeout",
}


def area_of(name):
    for area, prefixes in AREAS:
        if name.startswith(prefixes):
            return area
    return None


def record(ledger_path, outcomes_path):
    ledger = json.loads(ledger_path.read_text()) if ledger_path.exists() else {}
    outcomes = json.loads(Path(outcomes_path).read_text())["outcomes"]
    for o in outcomes:
        mutant = o["scenario"].get("Mutant") if isinstance(o["scenario"], dict) else None
        if mutant is None or o["summary"] not in WORDS:
            continue
        ledger[mutant["name"]] = {
            "outcome": WORDS[o["summary"]],
            "secs": round(sum(p["duration"] for p in o["phase_results"]), 1),
        }
    ledger_path.write_text(json.dumps(ledger, indent=1, sort_keys=True) + "\n")


def score(ledger_path, all_path):
    names = [n for n in all_path.read_text().splitlines() if n.strip()]
    ledger = json.loads(ledger_path.read_text()) if ledger_path.exists() else {}
    rows, missed = [], []
    for area, _ in AREAS:
        mine = [n for n in names if area_of(n) == area]
        counts = {w: 0 for w in ["caught", "missed", "unviable", "timeout"]}
        secs = 0.0
        for n in mine:
            entry = ledger.get(n)
            if entry:
                counts[entry["outcome"]] += 1
                secs += entry["secs"]
                if entry["outcome"] == "missed":
                    missed.append(n)
        tested = sum(counts.values())
        viable = tested - counts["unviable"]
        caught = counts["caught"] + counts["timeout"]
        pct = f"{100 * caught / viable:.1f}% ({caught} of {viable} viable)" if viable else "-"
        rows.append(
            f"| {area} | {len(mine)} | {tested} | {counts['caught']} | {counts['missed']} | "
            f"{counts['unviable']} | {counts['timeout']} | {pct} | {secs / 60:.0f} min |"
        )
    print("| area | mutants | tested | caught | missed | unviable | timeouts | score | time |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if missed:
        print("\nmissed:")
        print("\n".join(f"  {n}" for n in sorted(missed)))


def settled(ledger_path):
    ledger = json.loads(ledger_path.read_text()) if ledger_path.exists() else {}
    for name, entry in sorted(ledger.items()):
        if entry["outcome"] in ("caught", "unviable", "timeout"):
            print(name)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "record":
        record(Path(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "score":
        score(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "settled":
        settled(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
