"""Use cases of the agricultural carbon account: register, records, assessments, coverage.

Every reduction and label comes from :mod:`greenfin.agriculture.rules` (the teammate-owned
pure methodology); this module only turns stored integers into the rules' records and the
rules' results back into stored integers, with the methodology version.

Who may do what: staff (admin, regulator) see and change the whole register; a farm —
an organisation acting as ``enterprise`` whose code is the farm's ``organisation_code`` —
sees its own account and submits its own records; a ``data_source`` may submit records.
Coverage is an aggregate and open to every logged-in user.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_std
from stdnum.exceptions import ValidationError

from greenfin.agriculture import repository, rules
from greenfin.agriculture.methodology import FARM_TYPES, Methodology, load_methodology
from greenfin.agriculture.models import DATA_QUALITY, PRACTICES, Assessment, Baseline, Farm, FarmConflict, ImportBatch
from greenfin.agriculture.models import PracticeRecord as RecordRow
from greenfin.agriculture.schemas import (
    AssessmentRead,
    BandRead,
    BaselineIn,
    BaselineRead,
    BiogasIn,
    CoverageRead,
    CoverageRow,
    FarmAccountRead,
    FarmConflictRead,
    FarmCreate,
    FarmRead,
    FarmWhatIf,
    FarmWhatIfRead,
    ImportRead,
    OrganicIn,
    PracticeRead,
    RecordsSubmit,
    ReductionRead,
    StrawIn,
    TermInputRead,
    TermRead,
)
from greenfin.auth import rules as identity
from greenfin.auth.service import Principal, record, require_role, require_scope, require_tenant
from greenfin.bounds import csv_header, csv_rows, decode_text_file
from greenfin.db import utcnow
from greenfin.errors import Conflict, Forbidden, GreenfinError, InvalidInput, NotFound

COVERAGE_CATEGORIES: tuple[str, ...] = ("organic_fertiliser_producer", "pig_farm", "grain_grower")
"""The categories whose coverage the paper reports (100 % / 10.7 % / 20 %)."""

QUALITY_RANK = {"declared": 0, "metered": 1, "audited": 2}
"""Weakest first: an assessment is as good as its weakest input."""

HIGHEST_QUALITY = {"enterprise": "declared", "data_source": "metered", "regulator": "audited", "admin": "audited"}
"""The highest data quality each role may give (docs/security.md): a farm's own figures are
declarations, a data source's at most metered, verified figures come from the regulator."""

_MILLI = Decimal(1000)
# str.isdigit() also accepts "²" and other digits int() refuses, and int() refuses over 4,300 digits.
_ASCII_WHOLE = re.compile(r"[0-9]{1,12}")

_FIELDS: dict[str, tuple[str, ...]] = {
    "baseline": ("chemical_n_kg", "herd_heads", "area_mu", "product_t"),
    "organic_fertiliser_substitution": ("applied_t", "n_content_pct", "chemical_n_before_kg", "chemical_n_after_kg"),
    "straw_return": ("crop", "straw_t", "area_mu"),
    "biogas_project": (
        "digester_volume_m3",
        "manure_treated_t",
        "heads_served",
        "biogas_produced_m3",
        "biogas_used_m3",
        "days",
    ),
}
_INTEGER_FIELDS = frozenset({"herd_heads", "heads_served", "days"})
RECORD_COLUMNS: tuple[str, ...] = (
    "applied_t_milli",
    "n_content_pct_milli",
    "chemical_n_before_kg_milli",
    "chemical_n_after_kg_milli",
    "straw_t_milli",
    "area_mu_milli",
    "digester_volume_m3_milli",
    "manure_treated_t_milli",
    "heads_served",
    "biogas_produced_m3_milli",
    "biogas_used_m3_milli",
    "days",
)
CSV_COLUMNS: tuple[str, ...] = (
    "farm",
    "year",
    "season",
    "practice",
    "data_quality",
    *dict.fromkeys(field for fields in _FIELDS.values() for field in fields),
)
"""Columns of a practice-record file; ``practice`` is ``baseline`` or one of the three practices."""


# --- farms ----------------------------------------------------------------------------------


def farm_type_names(farm_type: str) -> tuple[str, str]:
    """Chinese and English name of a farm type (from the methodology's label tables)."""
    bands = load_methodology().labels[farm_type]
    return bands.name_zh, bands.name_en


def _to_milli(value: Decimal, field: str) -> int:
    scaled = value * _MILLI
    if scaled != scaled.to_integral_value():
        raise InvalidInput(
            f"{field}: at most 3 decimal places", errors=[{"field": field, "reason": "at most 3 decimals"}]
        )
    return int(scaled)


def _from_milli(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / _MILLI


def farm_read(farm: Farm) -> FarmRead:
    """The register entry of a farm as the API shows it."""
    zh, en = farm_type_names(farm.farm_type)
    return FarmRead(
        id=farm.id,
        farm_type=farm.farm_type,
        farm_type_name_zh=zh,
        farm_type_name_en=en,
        name=farm.name,
        uscc=farm.uscc,
        holder_id_masked=farm.holder_id_masked,
        county_code=farm.county_code,
        township=farm.township,
        area_mu=_from_milli(farm.area_mu_milli),
        herd_heads=farm.herd_heads,
        has_account=farm.account_opened_at is not None,
        account_opened_at=farm.account_opened_at,
        registered_at=farm.registered_at,
    )


def register_farm(session: Session, principal: Principal, *, farm_in: FarmCreate, secret_key: str) -> Farm:
    """Put a farm on the register (staff only), identified by USCC or the holder's ID number."""
    require_role(principal, "regulator")
    errors: list[dict[str, Any]] = []
    if (farm_in.uscc is None) == (farm_in.holder_id_number is None):
        errors.append({"field": "uscc", "reason": "give exactly one of uscc and holder_id_number"})
    uscc = holder_hash = masked = None
    if farm_in.uscc is not None:
        try:
            uscc = uscc_std.validate(farm_in.uscc)
        except ValidationError as exc:
            errors.append({"field": "uscc", "reason": f"not a valid unified social credit code ({exc})"})
    if farm_in.holder_id_number is not None:
        problem = identity.id_number_problem(farm_in.holder_id_number)
        if problem:
            errors.append({"field": "holder_id_number", "reason": problem})
        else:
            number = identity.normalise_id_number(farm_in.holder_id_number)
            holder_hash, masked = identity.id_hash(number, secret_key), identity.mask_id_number(number)
    if errors:
        raise InvalidInput(f"{errors[0]['field']}: {errors[0]['reason']}", errors=errors)
    if uscc and repository.farm_by_uscc(session, uscc):
        raise Conflict(f"a farm with USCC {uscc} is registered already")
    if holder_hash and repository.farm_by_holder_hash(session, holder_hash):
        raise Conflict("a farm held by this ID number is registered already")
    farm = Farm(
        farm_type=farm_in.farm_type,
        name=farm_in.name,
        uscc=uscc,
        holder_id_hash=holder_hash,
        holder_id_masked=masked,
        county_code=farm_in.county_code,
        township=farm_in.township,
        area_mu_milli=_to_milli(farm_in.area_mu, "area_mu") if farm_in.area_mu is not None else None,
        herd_heads=farm_in.herd_heads,
        organisation_code=uscc or "",
        account_opened_at=utcnow() if farm_in.open_account else None,
    )
    session.add(farm)
    session.flush()
    if not uscc:
        farm.organisation_code = f"farm-{farm.id}"
        session.flush()
    return farm


def find_farm(session: Session, principal: Principal, *, farm_ref: str) -> Farm:
    """A farm by id or USCC, if the principal may see it."""
    farm = repository.farms_by_keys(session, [farm_ref]).get(farm_ref)
    if farm is None:
        raise NotFound(f"no farm {farm_ref} on the register")
    require_tenant(principal, farm.organisation_code)
    return farm


def open_account(session: Session, principal: Principal, *, farm_ref: str) -> Farm:
    """Open the carbon account of a registered farm (staff, or the farm itself)."""
    farm = find_farm(session, principal, farm_ref=farm_ref)
    require_role(principal, "regulator", "enterprise")
    if farm.account_opened_at is None:
        farm.account_opened_at = utcnow()
        session.flush()
    return farm


def list_farms(
    session: Session,
    principal: Principal,
    *,
    farm_type: str | None = None,
    county_code: str | None = None,
    with_account: bool | None = None,
    offset: int = 0,
    limit: int = 50,
    order: str = "county",
    descending: bool = False,
    q: str | None = None,
) -> tuple[list[FarmRead], int]:
    """One page of the register: staff see every farm, a farm organisation its own; ``order`` is one of
    county, name, type, account, registered; ``q`` part of a name or the start of a USCC."""
    require_role(principal, "regulator", "enterprise")
    organisation_code = None if principal.is_staff else (principal.organisation_code or "-")
    rows, total = repository.list_farms(
        session,
        farm_type=farm_type,
        county_code=county_code,
        with_account=with_account,
        organisation_code=organisation_code,
        offset=offset,
        limit=limit,
        order=order,
        descending=descending,
        q=q,
    )
    return [farm_read(row) for row in rows], total


# --- coverage -------------------------------------------------------------------------------


def _coverage_row(category: str, county: str | None, registered: int, with_account: int) -> CoverageRow:
    zh, en = farm_type_names(category)
    share = Decimal(0) if registered == 0 else Decimal(with_account) / Decimal(registered)
    return CoverageRow(
        category=category,
        name_zh=zh,
        name_en=en,
        county_code=county,
        registered=registered,
        with_account=with_account,
        share=share.quantize(Decimal("0.0001"), ROUND_HALF_EVEN),
        share_pct=(share * 100).quantize(Decimal("0.1"), ROUND_HALF_EVEN),
    )


def coverage(session: Session, principal: Principal) -> CoverageRead:
    """Share of registered farms with an account, per category (paper's three) and per county (staff only)."""
    require_role(principal, "admin", "regulator")  # the region's register: not a bank's or a farm's to read
    counts = [row for row in repository.coverage_counts(session) if row[0] in COVERAGE_CATEGORIES]
    categories = []
    for category in COVERAGE_CATEGORIES:
        mine = [row for row in counts if row[0] == category]
        categories.append(_coverage_row(category, None, sum(row[2] for row in mine), sum(row[3] for row in mine)))
    by_county = [_coverage_row(t, c, n, a) for t, c, n, a in counts]
    return CoverageRead(categories=categories, by_county=by_county)


# --- records --------------------------------------------------------------------------------


@dataclass
class _Row:
    """One validated line of a submission, ready to store."""

    line: int
    farm: Farm
    year: int
    season: str
    practice: str
    data_quality: str
    values: dict[str, Any]


def _decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation
    return value


def _parse_row(
    line: int, raw: Mapping[str, str], farms: Mapping[str, Farm]
) -> tuple[_Row | None, list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []

    def err(column: str, reason: str) -> None:
        errors.append({"row": line, "column": column, "reason": reason})

    farm_key = (raw.get("farm") or "").strip()
    farm = farms.get(farm_key)
    if not farm_key:
        err("farm", "is required (farm id or USCC)")
    elif farm is None:
        err("farm", f"no farm {farm_key} on the register")
    elif farm.account_opened_at is None:
        err("farm", f"farm {farm_key} has no carbon account yet; open it first")
    year_text = (raw.get("year") or "").strip()
    year = 0
    if not _ASCII_WHOLE.fullmatch(year_text) or not 1990 <= int(year_text) <= 2100:
        err("year", "must be a year between 1990 and 2100")
    else:
        year = int(year_text)
    practice = (raw.get("practice") or "").strip()
    if practice not in _FIELDS:
        err("practice", f"must be one of {', '.join(_FIELDS)}")
    quality = (raw.get("data_quality") or "declared").strip() or "declared"
    if quality not in DATA_QUALITY:
        err("data_quality", f"must be one of {', '.join(DATA_QUALITY)}")
    season = (raw.get("season") or "").strip()
    if len(season) > 20:
        err("season", "at most 20 characters")
    if practice == "baseline" and season:
        err("season", "a baseline is for the whole year; leave season empty")
    values: dict[str, Any] = {}
    for field in _FIELDS.get(practice, ()):
        text = (raw.get(field) or "").strip()
        if not text:
            if practice != "baseline" and not (practice == "biogas_project" and field == "days"):
                err(field, "is required for " + practice)
            continue
        if field == "crop":
            values[field] = text
        elif field in _INTEGER_FIELDS:
            if not _ASCII_WHOLE.fullmatch(text):
                err(field, "must be a whole, non-negative number (at most 12 digits)")
            else:
                values[field] = int(text)
        else:
            try:
                number = _decimal(text)
            except InvalidOperation:
                err(field, f"{text!r} is not a number")
                continue
            if number < 0:
                err(field, "must not be negative")
            elif number * _MILLI != (number * _MILLI).to_integral_value():
                err(field, "at most 3 decimal places")
            else:
                values[field] = number
    if not errors:
        try:
            if practice == "baseline":
                assert farm is not None  # no error so far: the farm is known
                rules.FarmBaseline(farm_type=farm.farm_type, **values)
            else:
                _rule_record(practice, values)
        except InvalidInput as exc:
            for item in exc.errors:
                err(str(item.get("field", "")).split(".")[-1], str(item.get("reason", exc.detail)))
    if errors or farm is None:
        return None, errors
    return _Row(line, farm, year, season, practice, quality, values), []


def _rule_record(practice: str, values: Mapping[str, Any]) -> rules.PracticeRecord:
    """The rules' record for stored or submitted values (validated by the rules themselves)."""
    if practice == "organic_fertiliser_substitution":
        return rules.OrganicFertiliserSubstitution(
            applied_t=values["applied_t"],
            n_content_pct=values["n_content_pct"],
            chemical_n_before_kg=values["chemical_n_before_kg"],
            chemical_n_after_kg=values["chemical_n_after_kg"],
        )
    if practice == "straw_return":
        return rules.StrawReturn(crop=values["crop"], straw_t=values["straw_t"], area_mu=values["area_mu"])
    return rules.BiogasProject(
        digester_volume_m3=values["digester_volume_m3"],
        manure_treated_t=values["manure_treated_t"],
        heads_served=values["heads_served"],
        biogas_produced_m3=values["biogas_produced_m3"],
        biogas_used_m3=values["biogas_used_m3"],
        days=values.get("days", 365),
    )


def _check_farm_years(
    rows: Sequence[_Row], methodology: Methodology, doubtful: frozenset[tuple[str, int]] = frozenset()
) -> list[dict[str, Any]]:
    """Whole-file checks per farm-year (records against the baseline), each at its offending line.

    ``doubtful`` farm-years had a baseline line that did not parse: their records are not
    checked against a baseline that is in doubt (that line's own error says why).
    """
    errors: list[dict[str, Any]] = []
    groups: dict[tuple[str, int], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.farm.id, row.year), []).append(row)
    for key, group in groups.items():
        baselines = [row for row in group if row.practice == "baseline"]
        records = [row for row in group if row.practice != "baseline"]
        for row in baselines[1:]:
            errors.append({"row": row.line, "column": "practice", "reason": "a second baseline for the same farm-year"})
        baseline_line = baselines[0].line if baselines else group[0].line
        farm = group[0].farm
        baseline: rules.FarmBaseline | None = None
        if len(baselines) <= 1 and key not in doubtful:
            try:
                baseline = _baseline_rule(farm, baselines[0].values if baselines else {})
                if baselines:
                    rules.denominator_for(baseline, methodology)
            except InvalidInput as exc:
                errors.extend(_farm_year_error(baseline_line, item) for item in exc.errors or [{"reason": exc.detail}])
        try:
            rules.farm_reduction(
                [_rule_record(row.practice, row.values) for row in records],
                baseline or rules.FarmBaseline(farm_type=farm.farm_type),
                methodology,
            )
        except InvalidInput as exc:
            for item in exc.errors or [{"reason": exc.detail}]:
                index = item.get("record")
                if index is not None:
                    errors.append(_farm_year_error(records[index].line, item))
                elif baseline is not None:  # not when the baseline itself is in doubt (its error says why)
                    errors.append(_farm_year_error(baseline_line, item))
    return sorted(errors, key=lambda e: (e["row"], e["column"]))


def _farm_year_error(line: int, item: Mapping[str, Any]) -> dict[str, Any]:
    return {"row": line, "column": str(item.get("field", "")).split(".")[-1], "reason": str(item.get("reason"))}


def _baseline_rule(farm: Farm, values: Mapping[str, Any]) -> rules.FarmBaseline:
    """The rules' baseline; area and herd fall back to the register when the year gives none."""
    area = values.get("area_mu")
    herd = values.get("herd_heads")
    return rules.FarmBaseline(
        farm_type=farm.farm_type,
        chemical_n_kg=values.get("chemical_n_kg"),
        herd_heads=herd if herd is not None else farm.herd_heads,
        area_mu=area if area is not None else _from_milli(farm.area_mu_milli),
        product_t=values.get("product_t"),
    )


def _store(
    session: Session,
    principal: Principal,
    rows: Sequence[_Row],
    *,
    filename: str,
    content: bytes,
    methodology: Methodology,
) -> ImportRead:
    batch = ImportBatch(
        filename=filename[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        row_count=len(rows),
        imported_by=principal.actor,
    )
    session.add(batch)
    session.flush()
    groups: dict[tuple[str, int], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.farm.id, row.year), []).append(row)
    baseline_rows: list[dict[str, Any]] = []
    record_rows: list[dict[str, Any]] = []
    held: list[FarmConflict] = []
    for (farm_id, year), group in groups.items():
        has_baseline = any(row.practice == "baseline" for row in group)
        stronger = _stronger_stored(session, principal, farm_id, year, baseline=has_baseline)
        baseline_version, record_version = repository.next_versions(session, farm_id, year)
        if stronger is None:
            repository.supersede_conflicts(session, farm_id, year)
            repository.retire_records(session, farm_id, year, baseline=has_baseline)
        else:  # kept beside the stronger figures, not used until a regulator accepts it
            held.append(
                FarmConflict(
                    farm_id=farm_id,
                    year=year,
                    import_id=batch.id,
                    baseline=has_baseline,
                    data_quality=HIGHEST_QUALITY.get(principal.role, "declared"),
                    held_against=stronger,
                    submitted_by=principal.actor,
                )
            )
        for row in group:
            v = row.values
            if row.practice == "baseline":
                baseline_rows.append(
                    {
                        "farm_id": farm_id,
                        "year": year,
                        "chemical_n_kg_milli": _milli_or_none(v.get("chemical_n_kg")),
                        "herd_heads": v.get("herd_heads"),
                        "area_mu_milli": _milli_or_none(v.get("area_mu")),
                        "product_t_milli": _milli_or_none(v.get("product_t")),
                        "data_quality": row.data_quality,
                        "version": baseline_version,
                        "is_current": stronger is None,
                        "import_id": batch.id,
                    }
                )
                continue
            stored: dict[str, Any] = dict.fromkeys(RECORD_COLUMNS)
            for field, value in v.items():
                if field in _INTEGER_FIELDS:
                    stored[field] = value
                elif field != "crop":
                    stored[f"{field}_milli"] = int(value * _MILLI)
            if row.practice == "biogas_project" and stored.get("days") is None:
                stored["days"] = 365
            record_rows.append(
                {
                    "farm_id": farm_id,
                    "year": year,
                    "season": row.season,
                    "practice": row.practice,
                    "crop": v.get("crop", ""),
                    **stored,
                    "data_quality": row.data_quality,
                    "version": record_version,
                    "is_current": stronger is None,
                    "import_id": batch.id,
                }
            )
    repository.insert_baselines(session, baseline_rows)
    repository.insert_records(session, record_rows)
    session.add_all(held)
    record(
        session,
        principal,
        action="import",
        entity_type="agriculture_import",
        entity_id=batch.id,
        after={"filename": batch.filename, "rows": len(rows), "farm_years": len(groups), "held": len(held)},
    )
    session.flush()
    kept = {(c.farm_id, c.year) for c in held}
    assessed = [key for key in groups if key not in kept]
    for farm_id, year in assessed:
        farm = repository.farm_by_id(session, farm_id)
        assert farm is not None
        _assess(session, farm, year, methodology)
    return ImportRead(
        id=batch.id,
        filename=batch.filename,
        sha256=batch.sha256,
        rows=len(rows),
        farms=len(assessed),
        conflicts=[_conflict_read(c, None) for c in held],
        imported_by=batch.imported_by,
        imported_at=batch.imported_at,
    )


def _stronger_stored(session: Session, principal: Principal, farm_id: str, year: int, *, baseline: bool) -> str | None:
    """The farm-year's strongest stored quality when it outranks what the submitter may give, else None.

    A farm's declaration never replaces a meter's or a verifier's figures: it is kept beside
    them as an open conflict (:class:`FarmConflict`) that a regulator resolves.
    """
    stored = repository.current_qualities(session, farm_id, year, baseline=baseline)
    if not stored:
        return None
    strongest = max(stored, key=QUALITY_RANK.__getitem__)
    highest = HIGHEST_QUALITY.get(principal.role, "declared")
    return strongest if QUALITY_RANK[highest] < QUALITY_RANK[strongest] else None


def _conflict_read(conflict: FarmConflict, farm: Farm | None) -> FarmConflictRead:
    read = FarmConflictRead.model_validate(conflict)
    return read if farm is None else read.model_copy(update={"farm_name": farm.name})


def list_conflicts(session: Session, principal: Principal, *, status: str | None = "open") -> list[FarmConflictRead]:
    """Submissions held beside stronger figures: staff see every farm's, a farm its own."""
    if principal.is_staff:
        code = None
    else:
        require_role(principal, "enterprise")
        code = principal.organisation_code or "-"
    rows = repository.conflicts(session, organisation_code=code, status=status)
    return [_conflict_read(c, f) for c, f in rows]


def resolve_conflict(
    session: Session, principal: Principal, *, conflict_id: str, accept: bool, note: str = ""
) -> FarmConflictRead:
    """A regulator accepts a held submission (its figures become the farm-year's) or rejects it."""
    require_role(principal, "regulator")
    conflict = repository.conflict(session, conflict_id)
    if conflict is None:
        raise NotFound(f"no conflict {conflict_id}")
    if conflict.status != "open":
        raise Conflict(f"the conflict is {conflict.status} already")
    conflict.status = "accepted" if accept else "rejected"
    conflict.resolved_by = principal.actor
    conflict.resolved_at = utcnow()
    conflict.note = note[:500]
    if accept:
        repository.retire_records(session, conflict.farm_id, conflict.year, baseline=conflict.baseline)
        repository.make_current(session, conflict.farm_id, conflict.year, conflict.import_id)
        session.flush()
        farm = repository.farm_by_id(session, conflict.farm_id)
        assert farm is not None
        _assess(session, farm, conflict.year, load_methodology())
    session.flush()
    return _conflict_read(conflict, None)


def _milli_or_none(value: Decimal | int | None) -> int | None:
    return None if value is None else int(Decimal(value) * _MILLI)


def _check_submitter(principal: Principal, farms: Iterable[Farm]) -> None:
    require_role(principal, "regulator", "enterprise", "data_source")
    for farm in farms:
        # An API key writes farm records only within its scope (kind, farms, region).
        require_scope(principal, "agriculture_records", farm.organisation_code or None, county_code=farm.county_code)
        if principal.role != "data_source":
            require_tenant(principal, farm.organisation_code)


def import_file(session: Session, principal: Principal, *, filename: str, content: bytes) -> ImportRead:
    """Validate a whole CSV of baselines and practice records; store all of it or nothing.

    Every bad row is reported (``errors``: row, column, reason). Each farm-year in the file
    replaces that farm-year's current records (a new version; the old rows are kept) and is
    assessed anew with the current methodology.
    """
    require_role(principal, "regulator", "enterprise", "data_source")
    text = decode_text_file(filename, content)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = csv_header(filename, reader)
    missing = [c for c in ("farm", "year", "practice") if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        errors = [{"row": 1, "column": c, "reason": "required column is missing"} for c in missing]
        errors += [{"row": 1, "column": c, "reason": "unknown column"} for c in unknown]
        raise InvalidInput(f"the header is wrong: {errors[0]['column']}: {errors[0]['reason']}", errors=errors)
    raws = [
        ({(k or "").strip(): v if isinstance(v, str) else "" for k, v in raw.items()}, i + 2)
        for i, raw in enumerate(csv_rows(filename, reader))
    ]
    if not raws:
        raise InvalidInput("the file holds no rows", errors=[{"row": 2, "column": "", "reason": "no rows"}])
    farms = repository.farms_by_keys(session, (raw.get("farm", "").strip() for raw, _ in raws))
    return _validate_and_store(session, principal, raws, farms, filename=filename, content=content)


def _validate_and_store(
    session: Session,
    principal: Principal,
    raws: Sequence[tuple[Mapping[str, str], int]],
    farms: Mapping[str, Farm],
    *,
    filename: str,
    content: bytes,
) -> ImportRead:
    methodology = load_methodology()
    rows: list[_Row] = []
    errors: list[dict[str, Any]] = []
    doubtful: set[tuple[str, int]] = set()
    for raw, line in raws:
        row, row_errors = _parse_row(line, raw, farms)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
        elif (raw.get("practice") or "").strip() == "baseline":
            farm = farms.get((raw.get("farm") or "").strip())
            year = (raw.get("year") or "").strip()
            if farm is not None and _ASCII_WHOLE.fullmatch(year):
                doubtful.add((farm.id, int(year)))
    # Farm-year checks run on the rows that parsed, so one kind of error never hides another.
    errors.extend(_check_farm_years(rows, methodology, frozenset(doubtful)))
    highest = HIGHEST_QUALITY.get(principal.role, "declared")
    errors.extend(
        {
            "row": row.line,
            "column": "data_quality",
            "reason": f"a {principal.role} gives data as at most '{highest}'; '{row.data_quality}' data come from "
            "the regulator or a data source",
        }
        for row in rows
        if QUALITY_RANK[row.data_quality] > QUALITY_RANK[highest]
    )
    errors.sort(key=lambda e: (e["row"], e["column"]))
    if errors:
        first = errors[0]
        raise InvalidInput(
            f"{len(errors)} problem(s); nothing was stored. First: row {first['row']}, {first['column']}: "
            f"{first['reason']}",
            errors=errors,
        )
    _check_submitter(principal, {row.farm.id: row.farm for row in rows}.values())
    return _store(session, principal, rows, filename=filename, content=content, methodology=methodology)


def _submission_rows(farm: Farm, submit: RecordsSubmit) -> list[tuple[dict[str, str], int]]:
    """A JSON submission as the same rows a file would hold (one validation path for both)."""
    rows: list[tuple[dict[str, str], int]] = []
    if submit.baseline is not None:
        b = submit.baseline
        rows.append(
            (
                _text_row(
                    farm.id,
                    submit.year,
                    "",
                    "baseline",
                    b.data_quality,
                    b.model_dump(exclude={"data_quality"}),
                ),
                1,
            )
        )
    for i, r in enumerate(submit.records, start=len(rows) + 1):
        values = r.model_dump(exclude={"practice", "season", "data_quality"})
        rows.append((_text_row(farm.id, submit.year, r.season, r.practice, r.data_quality, values), i))
    return rows


def _text_row(
    farm_id: str, year: int, season: str, practice: str, quality: str, values: Mapping[str, Any]
) -> dict[str, str]:
    row = {"farm": farm_id, "year": str(year), "season": season, "practice": practice, "data_quality": quality}
    row.update({k: "" if v is None else str(v) for k, v in values.items()})
    return row


def submit_records(session: Session, principal: Principal, *, farm_ref: str, submit: RecordsSubmit) -> ImportRead:
    """Store one farm-year's baseline and practice records (API), validated like a file."""
    farm = find_farm(session, principal, farm_ref=farm_ref)
    rows = _submission_rows(farm, submit)
    if not rows:
        raise InvalidInput("nothing to store: give a baseline or at least one record", errors=[])
    content = RecordsSubmit.model_dump_json(submit).encode()
    return _validate_and_store(
        session, principal, rows, {farm.id: farm}, filename=f"api:{farm.id}:{submit.year}", content=content
    )


# --- assessments ----------------------------------------------------------------------------


def _stored_values(row: RecordRow) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in _FIELDS[row.practice]:
        if field == "crop":
            values[field] = row.crop
        elif field in _INTEGER_FIELDS:
            values[field] = getattr(row, field)
        else:
            values[field] = _from_milli(getattr(row, f"{field}_milli"))
    return values


def _baseline_values(row: Baseline | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "chemical_n_kg": _from_milli(row.chemical_n_kg_milli),
        "herd_heads": row.herd_heads,
        "area_mu": _from_milli(row.area_mu_milli),
        "product_t": _from_milli(row.product_t_milli),
    }


def _detail(result: rules.FarmReduction, label: rules.Label) -> dict[str, Any]:
    return {
        "reductions": [
            {
                "practice": r.practice,
                "co2e_kg": str(r.co2e_kg),
                "terms": [
                    {
                        "name": t.name,
                        "name_zh": t.name_zh,
                        "formula": t.formula,
                        "value_kg": str(t.value),
                        "inputs": [
                            {"name": i.name, "value": str(i.value), "unit": i.unit, "source": i.source}
                            for i in t.inputs
                        ],
                    }
                    for t in r.breakdown
                ],
            }
            for r in result.reductions
        ],
        "bands": [
            {
                "code": b.code,
                "name_zh": b.name_zh,
                "name_en": b.name_en,
                "min_intensity": None if b.min_intensity is None else str(b.min_intensity),
            }
            for b in label.bands
        ],
        "unit": label.unit,
        "label_source": label.source,
        "label_assumption": label.assumption,
        "label_name_zh": label.name_zh,
        "label_name_en": label.name_en,
    }


def _evaluate(
    farm: Farm,
    records: Sequence[rules.PracticeRecord],
    baseline_values: Mapping[str, Any],
    methodology: Methodology,
) -> tuple[rules.FarmReduction, rules.Label]:
    return rules.farm_label(records, _baseline_rule(farm, baseline_values), methodology)


def _unsaved_assessment(
    farm: Farm, year: int, result: rules.FarmReduction, label: rules.Label, quality: str, methodology: Methodology
) -> Assessment:
    return Assessment(
        farm_id=farm.id,
        year=year,
        methodology_version=methodology.version,
        computed_at=utcnow(),
        farm_type=farm.farm_type,
        co2e_g=int(result.co2e_kg * _MILLI),
        denominator_milli=int((label.denominator * _MILLI).to_integral_value(ROUND_HALF_EVEN)),
        denominator_unit=methodology.labels[farm.farm_type].denominator,
        intensity_g=int(label.intensity * _MILLI),
        label=label.code,
        data_quality=quality,
        explanation_zh=label.explanation_zh[:1000],
        explanation_en=label.explanation_en[:1000],
        detail=_detail(result, label),
    )


def _assess(session: Session, farm: Farm, year: int, methodology: Methodology) -> Assessment:
    baseline = repository.current_baseline(session, farm.id, year)
    rows = repository.current_records(session, farm.id, year)
    records = [_rule_record(row.practice, _stored_values(row)) for row in rows]
    result, label = _evaluate(farm, records, _baseline_values(baseline), methodology)
    qualities = [row.data_quality for row in rows] + ([baseline.data_quality] if baseline else [])
    quality = min(qualities, key=QUALITY_RANK.__getitem__) if qualities else "declared"
    fresh = _unsaved_assessment(farm, year, result, label, quality, methodology)
    stored = repository.assessment(session, farm.id, year, methodology.version)
    if stored is None:
        session.add(fresh)
        session.flush()
        return fresh
    for column in (
        "computed_at",
        "farm_type",
        "co2e_g",
        "denominator_milli",
        "denominator_unit",
        "intensity_g",
        "label",
        "data_quality",
        "explanation_zh",
        "explanation_en",
        "detail",
    ):
        setattr(stored, column, getattr(fresh, column))
    session.flush()
    return stored


def assess(session: Session, principal: Principal, *, farm_ref: str, year: int) -> AssessmentRead:
    """Compute, store and explain a farm's reduction and label for a year (current methodology)."""
    farm = find_farm(session, principal, farm_ref=farm_ref)
    require_role(principal, "regulator", "enterprise")
    if farm.account_opened_at is None:
        raise Conflict(f"farm {farm.id} has no carbon account yet")
    if repository.current_baseline(session, farm.id, year) is None and not repository.current_records(
        session, farm.id, year
    ):
        raise InvalidInput(
            f"Farm {farm.id} has no baseline and no practice records for {year}; submit them before assessing.",
            errors=[{"field": "year", "reason": f"no baseline or practice records for {year}"}],
        )
    row = _assess(session, farm, year, load_methodology())
    record(
        session,
        principal,
        action="assess",
        entity_type="agriculture_assessment",
        entity_id=row.id,
        after={"farm_id": farm.id, "year": year, "label": row.label, "co2e_g": row.co2e_g},
    )
    return assessment_read(row)


def assessment_read(row: Assessment) -> AssessmentRead:
    """A stored (or what-if) assessment as the API shows it."""
    detail = row.detail
    intensity = Decimal(row.intensity_g) / _MILLI
    return AssessmentRead(
        farm_id=row.farm_id,
        year=row.year,
        methodology_version=row.methodology_version,
        computed_at=row.computed_at,
        farm_type=row.farm_type,
        co2e_kg=Decimal(row.co2e_g) / _MILLI,
        co2e_t=(Decimal(row.co2e_g) / 1_000_000).quantize(Decimal("0.001"), ROUND_HALF_EVEN),
        denominator=Decimal(row.denominator_milli) / _MILLI,
        denominator_unit=row.denominator_unit,
        intensity=intensity,
        unit=detail["unit"],
        label=row.label,
        label_name_zh=detail["label_name_zh"],
        label_name_en=detail["label_name_en"],
        data_quality=row.data_quality,
        explanation_zh=row.explanation_zh,
        explanation_en=row.explanation_en,
        bands=[
            BandRead(
                code=b["code"],
                name_zh=b["name_zh"],
                name_en=b["name_en"],
                min_intensity=None if b["min_intensity"] is None else Decimal(b["min_intensity"]),
            )
            for b in detail["bands"]
        ],
        label_source=detail["label_source"],
        label_assumption=detail["label_assumption"],
        reductions=[
            ReductionRead(
                practice=r["practice"],
                co2e_kg=Decimal(r["co2e_kg"]),
                terms=[
                    TermRead(
                        name=t["name"],
                        name_zh=t["name_zh"],
                        formula=t["formula"],
                        value_kg=Decimal(t["value_kg"]),
                        inputs=[TermInputRead(**i) for i in t["inputs"]],
                    )
                    for t in r["terms"]
                ],
            )
            for r in detail["reductions"]
        ],
    )


def get_account(session: Session, principal: Principal, *, farm_ref: str) -> FarmAccountRead:
    """A farm's account: register entry, assessments (current methodology first), current records."""
    farm = find_farm(session, principal, farm_ref=farm_ref)
    return _account(session, farm)


def _account(session: Session, farm: Farm) -> FarmAccountRead:
    version = load_methodology().version
    assessments = [assessment_read(row) for row in repository.assessments_of(session, farm.id, version)]
    baselines = [
        BaselineRead(
            year=b.year,
            chemical_n_kg=_from_milli(b.chemical_n_kg_milli),
            herd_heads=b.herd_heads,
            area_mu=_from_milli(b.area_mu_milli),
            product_t=_from_milli(b.product_t_milli),
            data_quality=b.data_quality,
            version=b.version,
        )
        for b in repository.current_baselines(session, farm.id)
    ]
    records = []
    for row in repository.current_records(session, farm.id):
        values = _stored_values(row)
        records.append(
            PracticeRead(
                year=row.year,
                season=row.season,
                practice=row.practice,
                crop=row.crop,
                quantities={k: Decimal(v) for k, v in values.items() if k != "crop" and v is not None},
                data_quality=row.data_quality,
                version=row.version,
            )
        )
    return FarmAccountRead(
        farm=farm_read(farm),
        latest=assessments[0] if assessments else None,
        assessments=assessments,
        baselines=baselines,
        records=records,
        conflicts=[_conflict_read(c, f) for c, f in repository.conflicts(session, farm_id=farm.id, status="open")],
    )


def latest_assessment(session: Session, principal: Principal, *, farm_ref: str) -> AssessmentRead | None:
    """The farm's newest assessment under the current methodology (for finance), or None."""
    farm = find_farm(session, principal, farm_ref=farm_ref)
    rows = repository.assessments_of(session, farm.id, load_methodology().version)
    return assessment_read(rows[0]) if rows else None


def peer_position(session: Session, principal: Principal, *, farm_ref: str, year: int) -> tuple[int, int] | None:
    """(rank, peers) of the farm's reduction intensity among farms of its type that year; 1 is best."""
    farm = find_farm(session, principal, farm_ref=farm_ref)
    row = repository.assessment(session, farm.id, year, load_methodology().version)
    if row is None:
        return None
    return repository.peer_position(
        session,
        farm_type=row.farm_type,
        year=year,
        methodology_version=row.methodology_version,
        intensity_g=row.intensity_g,
    )


# --- what-if --------------------------------------------------------------------------------


def _values_of(item: OrganicIn | StrawIn | BiogasIn) -> dict[str, Any]:
    return item.model_dump(exclude={"practice", "season", "data_quality"})


def what_if(session: Session, principal: Principal, *, farm_ref: str, what_if_in: FarmWhatIf) -> FarmWhatIfRead:
    """The farm's reduction and label if it added these practices to the year's records (not stored)."""
    farm = find_farm(session, principal, farm_ref=farm_ref)
    if principal.role not in ("admin", "regulator", "enterprise"):
        raise Forbidden("only the farm itself or staff may simulate its account")
    methodology = load_methodology()
    year = what_if_in.year
    baseline = repository.current_baseline(session, farm.id, year)
    rows = repository.current_records(session, farm.id, year)
    records = [_rule_record(row.practice, _stored_values(row)) for row in rows]
    added = [_rule_record(item.practice, _values_of(item)) for item in what_if_in.add]
    before_row = repository.assessment(session, farm.id, year, methodology.version)
    result, label = _evaluate(farm, [*records, *added], _baseline_values(baseline), methodology)
    after = assessment_read(_unsaved_assessment(farm, year, result, label, "declared", methodology))
    before = assessment_read(before_row) if before_row else None
    change = after.co2e_kg - (before.co2e_kg if before else Decimal(0))
    return FarmWhatIfRead(farm_id=farm.id, year=year, before=before, after=after, change_kg=change)


__all__ = [
    "COVERAGE_CATEGORIES",
    "CSV_COLUMNS",
    "FARM_TYPES",
    "PRACTICES",
    "BaselineIn",
    "assess",
    "coverage",
    "find_farm",
    "get_account",
    "import_file",
    "latest_assessment",
    "list_farms",
    "open_account",
    "register_farm",
    "submit_records",
    "what_if",
]


# --- for other domains (finance reads farms through these, never the repository) -------------


def farm_by_uscc(session: Session, *, uscc: str) -> Farm | None:
    """The farm registered under a USCC, or None (an enterprise that also farms)."""
    return repository.farm_by_uscc(session, uscc)


def farms_of_organisation(session: Session, *, organisation_code: str) -> list[Farm]:
    """The farms an organisation acts for, by name."""
    return list(repository.farms_of_organisation(session, organisation_code))


def first_farm_with_account(session: Session, *, farm_type: str) -> Farm | None:
    """The farm of a type with an account and a USCC that sorts first (demo data)."""
    return repository.first_farm_with_account(session, farm_type=farm_type)


def methodology_title(version: str | None, lang: str) -> str:
    """The title a reader sees for an assessment's methodology version (the version itself when unknown)."""
    if not version:
        return "—"
    try:
        found = load_methodology(version)
    except (GreenfinError, FileNotFoundError, ValueError):
        return version
    return (found.title_en if lang == "en" else found.title_zh) or version
