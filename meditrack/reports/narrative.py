"""What the model is asked, and the narrative rendered from the facts when no model's text passes
the fact check. Pure Python: imports nothing from Django.

Both write only what the facts hold, formatted by facts.fmt, so every number in them is a fact.
"""

from __future__ import annotations

from meditrack.reports.facts import fmt

SYSTEM_PROMPT = (
    "You write the summary paragraph of a clinical analysis report for a clinician. You are given a table of "
    "facts computed from the patient's records. Rules: use only the facts given; every number you write must "
    "appear in the facts exactly as written there (you may round it, and drop its sign when you say rising or "
    "falling); never calculate, estimate, convert or combine numbers; write no dates other than those in the "
    "facts; do not diagnose and do not recommend treatment. Write 4 to 8 plain sentences, no headings, no lists."
)
USER_PROMPT = "Facts:\n{table}\n\nWrite the summary paragraph now."
UNGROUNDED_PROMPT = (
    "Your summary does not report the facts. Write the whole summary again: state the main figures from the "
    "facts (readings, means, out-of-range shares, adherence), each exactly as written there."
)
RETRY_PROMPT = (
    "These numbers in your summary are not in the facts: {numbers}. Write the whole summary again, using only "
    "numbers that appear in the facts exactly as written there. Do not calculate anything."
)


def _vital_line(v: dict) -> str:
    unit = v["unit"]
    parts = [f"{v['label']} ({unit}): {v['count']} readings", f"mean {fmt(v['mean'])}"]
    if v.get("sd") is not None:
        parts.append(f"standard deviation {fmt(v['sd'])}")
    parts.append(f"min {fmt(v['min'])} on {v['lowest']['date']}")
    parts.append(f"max {fmt(v['max'])} on {v['highest']['date']}")
    if v.get("trend_per_week") is not None:
        parts.append(f"trend {fmt(v['trend_per_week'], signed=True)} per week ({v['trend']}; fitted change "
                     f"{fmt(v['trend_change'], signed=True)} from {v['first_date']} to {v['last_date']})")
    else:
        parts.append("trend: too few readings")
    if v.get("normal_range"):
        parts.append(f"normal range {v['normal_range']}: {v['out_of_range']} readings out of range "
                     f"({fmt(v['out_of_range_pct'])}%; {v['below_range']} below, {v['above_range']} above)")
    for side, word in (("critical_low", "below"), ("critical_high", "from")):
        crit = v.get(side)
        if crit and crit["count"]:
            parts.append(f"{crit['count']} readings in the {crit['label'].lower()} band ({word} {fmt(crit[word])})")
    return "- " + "; ".join(parts)


def _medication_line(m: dict) -> str:
    head = f"- {m['name']} {fmt(m['dose'])} {m['unit']}, {m['schedule']}: {m['scheduled']} doses scheduled"
    if not m["scheduled"]:
        return head + " (no doses recorded in the period)"
    return (f"{head}; {m['taken']} taken on time; {m['late']} late; {m['missed']} missed; "
            f"adherence {fmt(m['adherence_pct'])}% (on time {fmt(m['on_time_pct'])}%)")


def facts_table(facts: dict) -> str:
    """The facts as compact lines: what the model sees, and nothing else."""
    p = facts["period"]
    lines = [f"Period: {p['from']} to {p['to']} ({p['days']} days)."]
    if "vitals" in facts:
        lines.append("Vital signs:")
        lines += [_vital_line(v) for v in facts["vitals"]] or ["- no readings in the period"]
        crisis = facts.get("bp_crisis")
        if crisis and crisis["count"]:
            shown = ", ".join(f"{fmt(r['systolic'])}/{fmt(r['diastolic'])} on {r['date']}" for r in crisis["readings"])
            lines.append(f"- {crisis['label']} readings ({crisis['threshold']}): {crisis['count']}; highest: {shown}")
    if "medications" in facts:
        lines.append("Medications:")
        lines += [_medication_line(m) for m in facts["medications"]] or ["- none in the period"]
        total = facts.get("medications_total")
        if total and total["scheduled"]:
            lines.append(f"- all medications: {total['scheduled']} doses scheduled; adherence "
                         f"{fmt(total['adherence_pct'])}%")
    if "journal" in facts:
        j = facts["journal"]
        if not j["shared_entries"]:
            lines.append("Journal shared with the care team: no analysed entries in the period.")
        else:
            labels = ", ".join(f"{item['label']} {item['count']}" for item in j["labels"])
            lines.append(f"Journal shared with the care team: {j['shared_entries']} analysed entries; mean "
                         f"sentiment score {fmt(j['mean_sentiment'])} (scale {j['sentiment_scale']}); labels: "
                         f"{labels}.")
    return "\n".join(lines)


def prompt(facts: dict) -> list[tuple[str, str]]:
    """(role, content) pairs for the chat model."""
    return [("system", SYSTEM_PROMPT), ("user", USER_PROMPT.format(table=facts_table(facts)))]


def retry_prompt(unsupported: list[str]) -> str:
    if not unsupported:
        return UNGROUNDED_PROMPT
    return RETRY_PROMPT.format(numbers=", ".join(unsupported[:20]))


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _vital_sentence(v: dict) -> str:
    unit = v["unit"]
    text = (f"{v['label']}: {_n(v['count'], 'reading')} averaged {fmt(v['mean'])} {unit} "
            f"(lowest {fmt(v['min'])} on {v['lowest']['date']}, highest {fmt(v['max'])} on {v['highest']['date']})")
    if v.get("trend_per_week") is not None:
        text += f", {v['trend']} at {fmt(v['trend_per_week'], signed=True)} {unit} per week"
    text += "."
    if v.get("normal_range"):
        verb = "was" if v["out_of_range"] == 1 else "were"
        text += (f" {_n(v['out_of_range'], 'reading')} ({fmt(v['out_of_range_pct'])}%) {verb} outside the normal "
                 f"range of {v['normal_range']}.")
    for side, word in (("critical_low", "below"), ("critical_high", "from")):
        crit = v.get(side)
        if crit and crit["count"]:
            verb = "was" if crit["count"] == 1 else "were"
            text += f" {crit['count']} {verb} in the {crit['label'].lower()} band ({word} {fmt(crit[word])} {unit})."
    return text


def render_from_facts(facts: dict) -> str:
    """A plain narrative stating the facts, for when no model's narrative passes the check."""
    p = facts["period"]
    paragraphs = [f"This report covers {p['from']} to {p['to']} ({p['days']} days)."]
    if "vitals" in facts:
        if facts["vitals"]:
            paragraphs += [_vital_sentence(v) for v in facts["vitals"]]
        else:
            paragraphs.append("No vital signs were recorded in the period.")
        crisis = facts.get("bp_crisis")
        if crisis and crisis["count"]:
            worst = crisis["readings"][0]
            verb = "was" if crisis["count"] == 1 else "were"
            paragraphs.append(f"{_n(crisis['count'], 'blood pressure reading')} {verb} in the hypertensive-crisis "
                              f"range ({crisis['threshold']}), the highest {fmt(worst['systolic'])}/"
                              f"{fmt(worst['diastolic'])} mmHg on {worst['date']}.")
    if "medications" in facts:
        sentences = []
        for m in facts["medications"]:
            if m["scheduled"]:
                sentences.append(f"{m['name']} {fmt(m['dose'])} {m['unit']} ({m['schedule']}): {m['taken']} of "
                                 f"{m['scheduled']} doses taken on time, {m['late']} late and {m['missed']} missed, "
                                 f"an adherence of {fmt(m['adherence_pct'])}%.")
            else:
                sentences.append(f"{m['name']} {fmt(m['dose'])} {m['unit']}: no doses recorded in the period.")
        paragraphs.append(" ".join(sentences) if sentences else "No medications were active in the period.")
    if "journal" in facts:
        j = facts["journal"]
        if j["shared_entries"]:
            labels = ", ".join(f"{item['count']} {item['label']}" for item in j["labels"])
            entries = _n(j["shared_entries"], "analysed journal entry", "analysed journal entries")
            paragraphs.append(f"The patient shared {entries} with the care "
                              f"team; their mean sentiment score was {fmt(j['mean_sentiment'])} on a scale of "
                              f"{j['sentiment_scale']} ({labels}).")
        else:
            paragraphs.append("No analysed journal entries were shared with the care team in the period.")
    return "\n\n".join(paragraphs)
