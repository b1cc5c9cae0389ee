"""The prompt and the narrative rendered from the facts: both state only facts."""

import pytest

from meditrack.reports import factcheck, narrative, selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def facts(dataset, period):
    return selectors.report_facts(patient=dataset, date_from=period[0], date_to=period[1], include_journal=True)


def test_it_renders_a_narrative_from_the_facts_that_passes_the_fact_check(facts):
    text = narrative.render_from_facts(facts)
    result = factcheck.check_facts(text, facts)
    assert result.ok, result.unsupported
    assert len(result.numbers) > 30
    assert "averaged 146 mmHg" in text and "190/125" in text and "adherence of 90%" in text


def test_it_gives_the_model_a_facts_table_that_passes_the_fact_check(facts):
    (system_role, system), (user_role, user) = narrative.prompt(facts)
    assert (system_role, user_role) == ("system", "user")
    assert "every number you write must appear in the facts" in system
    assert "Blood pressure, systolic (mmHg): 5 readings; mean 146" in user
    assert "Lisinopril 10 mg, once daily: 10 doses scheduled; 7 taken on time; 2 late; 1 missed; adherence 90%" in user
    assert factcheck.check_facts(narrative.facts_table(facts), facts).ok
    assert "Alice" not in user and "PAT-001" not in user and "private words" not in user


def test_it_renders_empty_facts_plainly(record, period):
    facts = selectors.report_facts(patient=record, date_from=period[0], date_to=period[1], include_journal=True)
    text = narrative.render_from_facts(facts)
    assert "No vital signs were recorded" in text and "No medications were active" in text
    assert factcheck.check_facts(text, facts).ok


def test_it_names_the_wrong_numbers_when_it_asks_again():
    assert narrative.retry_prompt(["147", "2025-01-06"]).startswith(
        "These numbers in your summary are not in the facts: 147, 2025-01-06.")
