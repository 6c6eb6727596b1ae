"""A case's prosecution file: proposed charges and what supports each of their elements, witnesses, discovery
productions (a reused Bates number recorded with the production it collides with) and disclosure reviews."""

from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from domain.case_file import CaseFile
from domain.statutes import catalogued
from tests.domain.helpers import AGENT, PARTNER, refused

TODAY = date(2026, 3, 1)
DRIVER, BROKER = str(uuid4()), str(uuid4())
SUBJECTS = {DRIVER: {"kind": "person", "name": "Juan Perez", "role": "transporter"},
            BROKER: {"kind": "person", "name": "Ana Ruiz", "role": "leader"}}
TYPED_IN = ["The defendant knowingly possessed a means of identification of another person.",
            "The defendant did so without lawful authority."]
PRODUCTION = {"description": "Body-camera video and stop report", "produced_to": "Defense counsel for J. Perez",
              "produced_at": "2026-02-27", "bates_start": "HSI-000101", "bates_end": "HSI-000150"}


def started() -> CaseFile:
    file = CaseFile.start(id=uuid4(), investigation_id=uuid4(), owning_agency="HSI", envelope=AGENT)
    file.collect_events()
    return file


def propose(file: CaseFile, *, statute: Any = "8 usc 1324(a)(1)(A)(ii)", elements: Any = None,
            defendants: Any = (DRIVER,)) -> str:
    charge_id = uuid4()
    file.propose_charge(charge_id=charge_id, statute=statute, elements=elements,
                        defendants=list(defendants) if isinstance(defendants, tuple) else defendants,
                        subjects=SUBJECTS, envelope=AGENT)
    return str(charge_id)


def with_charge() -> tuple[CaseFile, str]:
    file = started()
    return file, propose(file)


def produce(file: CaseFile, start: str, end: str) -> tuple[str, list[str]]:
    production_id = uuid4()
    overlapping = file.log_production(production_id=production_id,
                                      fields={**PRODUCTION, "bates_start": start, "bates_end": end}, today=TODAY,
                                      envelope=AGENT)
    return str(production_id), overlapping


# Charges and their elements


def test_a_catalogued_statute_brings_its_elements_unsupported():
    file, charge_id = with_charge()
    statute = catalogued("8 U.S.C. 1324")
    charge = file.charges[charge_id]
    assert (charge["statute"], charge["title"], charge["defendants"]) == (
        "8 U.S.C. 1324(a)(1)(A)(ii)", statute.title, [DRIVER])
    assert charge["elements"] == [{"element": e, "support": []} for e in statute.elements]


def test_a_typed_in_statute_keeps_the_elements_typed_in():
    file = started()
    charge_id = propose(file, statute="18 U.S.C. 1028(a)(7)", elements=[f"  {TYPED_IN[0]} ", TYPED_IN[1]])
    charge = file.charges[charge_id]
    assert (charge["statute"], charge["title"]) == ("18 U.S.C. 1028(a)(7)", None)
    assert charge["elements"] == [{"element": e, "support": []} for e in TYPED_IN]


def test_a_statute_outside_the_catalogue_without_elements_is_refused_naming_elements():
    assert refused(lambda: propose(started(), statute="18 U.S.C. 1028")).field == "elements"


def test_a_citation_that_is_not_the_us_code_is_refused_naming_statute():
    assert refused(lambda: propose(started(), statute="Penal Code 187")).field == "statute"


def test_support_marks_the_one_element_it_names():
    file, charge_id = with_charge()
    file.support(charge_id=charge_id, element=1, kind="witness", ref="w-1", author="HSI", note=" Admits he knew ",
                 envelope=AGENT)
    assert [e["support"] for e in file.charges[charge_id]["elements"]] == [
        [], [{"kind": "witness", "ref": "w-1", "agency": "HSI", "note": "Admits he knew"}], [], []]


def test_an_element_supported_twice_keeps_both_supports_in_order():
    file, charge_id = with_charge()
    file.support(charge_id=charge_id, element=0, kind="evidence", ref="e-1", author="HSI", note=None, envelope=AGENT)
    file.support(charge_id=charge_id, element=0, kind="action", ref="a-7", author="CBP", note=None, envelope=PARTNER)
    assert [s["ref"] for s in file.charges[charge_id]["elements"][0]["support"]] == ["e-1", "a-7"]


@pytest.mark.parametrize("element", [-1, 4, 99, True, False, "1", 1.0, None])
def test_an_element_that_is_not_an_index_of_the_charge_is_refused_naming_element(element):
    file, charge_id = with_charge()
    version = file.version
    refusal = refused(lambda: file.support(charge_id=charge_id, element=element, kind="evidence", ref="e-1",
                                           author="HSI", note=None, envelope=AGENT))
    assert (refusal.field, file.version) == ("element", version)


def test_support_for_an_unknown_charge_is_refused_naming_charge_id():
    file, _ = with_charge()
    refusal = refused(lambda: file.support(charge_id=uuid4(), element=0, kind="evidence", ref="e-1", author="HSI",
                                           note=None, envelope=AGENT))
    assert refusal.field == "charge_id"


def test_support_of_an_unknown_kind_is_refused_naming_kind():
    file, charge_id = with_charge()
    refusal = refused(lambda: file.support(charge_id=charge_id, element=0, kind="hunch", ref="x", author="HSI",
                                           note=None, envelope=AGENT))
    assert refusal.field == "kind"


def test_defendants_that_are_not_subjects_of_the_case_are_refused_naming_the_one():
    refusal = refused(lambda: propose(started(), defendants=[DRIVER, str(uuid4())]))
    assert refusal.field == "defendants.1"


def test_defendants_named_twice_are_kept_once_in_their_order():
    file = started()
    charge_id = propose(file, defendants=[BROKER, DRIVER, BROKER])
    assert file.charges[charge_id]["defendants"] == [BROKER, DRIVER]


def test_defendants_that_are_not_a_list_are_refused_naming_defendants():
    assert refused(lambda: propose(started(), defendants=DRIVER)).field == "defendants"


# Witnesses, productions and disclosure reviews


def test_a_witness_is_added_in_its_stored_form():
    file = started()
    witness_id = uuid4()
    file.add_witness(witness_id=witness_id, fields={"name": "Officer Diaz", "kind": "law_enforcement",
                                                    "agency": "CBP", "anticipated_testimony": "The stop"},
                     envelope=AGENT)
    assert (file.witnesses[str(witness_id)]["agency"], file.witnesses[str(witness_id)]["immunity"]) == ("CBP", "none")


def test_a_production_with_new_bates_numbers_overlaps_nothing():
    file = started()
    produce(file, "HSI-000001", "HSI-000100")
    production_id, overlapping = produce(file, "HSI-000101", "HSI-000150")
    assert (overlapping, file.productions[production_id]["overlapping"]) == ([], [])


def test_a_production_reusing_bates_numbers_records_the_earlier_production_it_overlaps():
    file = started()
    first, _ = produce(file, "HSI-000001", "HSI-000100")
    produce(file, "HSI-000201", "HSI-000300")
    third, overlapping = produce(file, "hsi-000090", "HSI-000110")
    assert (overlapping, file.productions[third]["overlapping"]) == ([first], [first])


def test_a_production_reusing_numbers_of_two_earlier_ones_records_both():
    file = started()
    first, _ = produce(file, "HSI-000001", "HSI-000100")
    second, _ = produce(file, "HSI-000101", "HSI-000150")
    assert produce(file, "HSI-000090", "HSI-000110")[1] == [first, second]


def test_a_production_under_another_prefix_does_not_overlap():
    file = started()
    produce(file, "HSI-000001", "HSI-000100")
    assert produce(file, "DEA-000001", "DEA-000100")[1] == []


def test_a_disclosure_review_is_recorded_with_who_did_it():
    file = started()
    file.review_disclosure(kind="brady_giglio", agency="DEA", note="Nothing found", envelope=PARTNER)
    [review] = file.reviews
    assert (review["kind"], review["agency"], review["note"], review["by"]["sub"]) == (
        "brady_giglio", "DEA", "Nothing found", "dana")


@pytest.mark.parametrize("kind", ["giglio", "Jencks", None, ""])
def test_a_disclosure_review_of_an_unknown_kind_is_refused_naming_kind(kind):
    refusal = refused(lambda: started().review_disclosure(kind=kind, agency="HSI", note=None, envelope=AGENT))
    assert refusal.field == "kind"


def test_a_disclosure_review_of_a_malformed_agency_is_refused_naming_agency():
    refusal = refused(lambda: started().review_disclosure(kind="jencks", agency="hsi", note=None, envelope=AGENT))
    assert refusal.field == "agency"


def test_the_owning_agency_owns_the_file_and_no_one_else_alone():
    file = started()
    assert (file.access_of("HSI"), file.access_of("DEA")) == ("owner", None)
