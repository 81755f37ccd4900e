"""certificates are identified by holder + identity, not by 证号

One 证号 covers several certificates: every special-operations certificate of a holder carries
"T" + ID number, one per 操作项目, and management certificates may have no number at all
(docs/rules.md, "The certificates and what identifies one"). Versions (reissues) now chain under
(person_id, identity), where identity is `T/<作业类别>/<操作项目>` or `M/<人员类型>/<行业类别>`
(app.domain.identity):

- new column `identity`, filled from the codes every row already has;
- the 证号 columns become optional;
- unique (cert_no_hash, version) becomes unique (person_id, identity, version), which also serves
  the holder's-certificates lookups (ix_cert_person_current is dropped), plus a plain index on
  cert_no_hash for lookups by number;
- `is_current` is recomputed per identity: the newest version of each item is current. Under the
  old rule a second item of the same holder could have been stored as a "reissue" of the first,
  which wrongly showed the first item as 已被新版本取代; it is current again.
- Management certificates stored under different numbers for the same holder, 人员类型 and 行业类别
  were separate certificates under the old rule. Where their version numbers collide they stay
  separate: every chain but the newest gets `identity~<its first id>`, so no signed code changes
  meaning. (Special-operations chains cannot collide: all of a holder's share one number.)

Every version keeps its id, public id and version number, so every printed or downloaded code keeps
verifying (the version number is signed into the code).

Downgrade restores the old constraint and the old meaning of `is_current` (newest per number). It
refuses, naming the count, when the data cannot be held by the old schema: certificates without a
number, or two certificates of one number with the same version (several items imported since).

Measured on the 2-core benchmark machine with 1,000,000 certificates: see docs/benchmarks.md.

Revision ID: 0008_certificate_identity
Revises: 0007_binary_blind_indexes
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_certificate_identity"
down_revision: str | None = "0007_binary_blind_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BLIND = sa.LargeBinary(16)  # how the model's BlindIndex looks to a migration on either database


def _identity_sql(mysql: bool) -> str:
    """The identity from the stored codes (a row missing one gets a key of its own: X/<id>)."""
    def join(*parts: str) -> str:
        return f"CONCAT({', '.join(parts)})" if mysql else " || ".join(parts)
    special = join("'T/'", "category_code", "'/'", "item_code")
    mgmt = join("'M/'", "personnel_type_code", "'/'", "industry_code")
    fallback = join("'X/'", "CAST(id AS CHAR)" if mysql else "CAST(id AS TEXT)")
    return (f"COALESCE(CASE kind WHEN 'special_ops' THEN {special} ELSE {mgmt} END, {fallback})")


def upgrade() -> None:
    mysql = op.get_bind().dialect.name != "sqlite"
    op.add_column("certificates", sa.Column("identity", sa.String(32), nullable=True))
    op.execute(f"UPDATE certificates SET identity = {_identity_sql(mysql)}")  # noqa: S608 (no input)
    _separate_colliding_chains()
    if mysql:
        # The new unique index first: the foreign key on person_id needs an index at every moment.
        op.execute("ALTER TABLE certificates MODIFY identity VARCHAR(32) NOT NULL, "
                   "MODIFY cert_no_hash BINARY(16) NULL, MODIFY cert_no_enc BLOB NULL, "
                   "MODIFY cert_no_masked VARCHAR(64) NULL, "
                   "ADD CONSTRAINT uq_cert_identity_version UNIQUE (person_id, identity, version), "
                   "DROP INDEX uq_cert_no_version, ADD INDEX ix_cert_no (cert_no_hash)")
        op.execute("ALTER TABLE certificates DROP INDEX ix_cert_person_current")
    else:
        with op.batch_alter_table("certificates", recreate="always") as batch:
            batch.alter_column("identity", existing_type=sa.String(32), nullable=False)
            batch.alter_column("cert_no_hash", existing_type=BLIND, nullable=True)
            batch.alter_column("cert_no_enc", existing_type=sa.LargeBinary(512), nullable=True)
            batch.alter_column("cert_no_masked", existing_type=sa.String(64), nullable=True)
            batch.drop_constraint("uq_cert_no_version", type_="unique")
            batch.drop_index("ix_cert_person_current")
            batch.create_unique_constraint("uq_cert_identity_version", ["person_id", "identity", "version"])
            batch.create_index("ix_cert_no", ["cert_no_hash"])
    _recompute_current(mysql, "person_id, identity")


def downgrade() -> None:
    mysql = op.get_bind().dialect.name != "sqlite"
    _refuse_what_the_old_schema_cannot_hold()
    _recompute_current(mysql, "cert_no_hash")
    if mysql:
        op.execute("ALTER TABLE certificates ADD INDEX ix_cert_person_current (person_id, is_current), "
                   "DROP INDEX ix_cert_no, ADD CONSTRAINT uq_cert_no_version UNIQUE (cert_no_hash, version), "
                   "MODIFY cert_no_hash BINARY(16) NOT NULL, MODIFY cert_no_enc BLOB NOT NULL, "
                   "MODIFY cert_no_masked VARCHAR(64) NOT NULL")
        op.execute("ALTER TABLE certificates DROP INDEX uq_cert_identity_version, DROP COLUMN identity")
        return
    with op.batch_alter_table("certificates", recreate="always") as batch:
        batch.drop_index("ix_cert_no")
        batch.drop_constraint("uq_cert_identity_version", type_="unique")
        batch.drop_column("identity")
        batch.alter_column("cert_no_hash", existing_type=BLIND, nullable=False)
        batch.alter_column("cert_no_enc", existing_type=sa.LargeBinary(512), nullable=False)
        batch.alter_column("cert_no_masked", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_cert_no_version", ["cert_no_hash", "version"])
        batch.create_index("ix_cert_person_current", ["person_id", "is_current"])


def _separate_colliding_chains() -> None:
    """Old chains (one per number) that share an identity and a version: keep the newest chain's identity."""
    bind = op.get_bind()
    groups = bind.exec_driver_sql(
        "SELECT person_id, identity FROM certificates GROUP BY person_id, identity "
        "HAVING COUNT(DISTINCT cert_no_hash) > 1").fetchall()
    for person_id, identity in groups:
        rows = bind.execute(sa.text("SELECT id, cert_no_hash, version, valid_from FROM certificates "
                                    "WHERE person_id = :person AND identity = :identity"),
                            {"person": person_id, "identity": identity}).fetchall()
        for ids in _chains_to_separate(rows):
            marker = f"{identity}~{min(ids)}"
            for row_id in ids:
                bind.execute(sa.text("UPDATE certificates SET identity = :identity WHERE id = :id"),
                             {"identity": marker, "id": row_id})


def _chains_to_separate(rows: Sequence[sa.Row[tuple[object, ...]]]) -> list[list[int]]:
    """The ids of every chain but the newest, when the chains' version numbers overlap."""
    chains: dict[object, list[sa.Row[tuple[object, ...]]]] = {}
    for row in rows:
        chains.setdefault(row[1], []).append(row)
    versions = [version for chain in chains.values() for _, _, version, _ in chain]
    if len(versions) == len(set(versions)):
        return []  # they can chain as they are
    newest = max(chains.values(), key=lambda chain: max((str(r[3]), r[0]) for r in chain))
    return [[r[0] for r in chain] for chain in chains.values() if chain is not newest]


def _recompute_current(mysql: bool, group: str) -> None:
    """is_current = the newest version of its group; only rows whose flag changes are written."""
    if mysql:
        on = " AND ".join(f"c.{column} = m.{column}" for column in group.split(", "))
        op.execute(f"UPDATE certificates c JOIN (SELECT {group}, MAX(version) AS newest FROM certificates "  # noqa: S608
                   f"GROUP BY {group}) m ON {on} SET c.is_current = (c.version = m.newest) "
                   "WHERE c.is_current <> (c.version = m.newest)")
        return
    same = " AND ".join(f"n.{column} = certificates.{column}" for column in group.split(", "))
    newest = f"(SELECT MAX(n.version) FROM certificates n WHERE {same})"  # noqa: S608
    op.execute(f"UPDATE certificates SET is_current = (version = {newest}) "  # noqa: S608
               f"WHERE is_current <> (version = {newest})")


def _refuse_what_the_old_schema_cannot_hold() -> None:
    bind = op.get_bind()
    unnumbered = bind.exec_driver_sql("SELECT COUNT(*) FROM certificates WHERE cert_no_hash IS NULL").scalar()
    shared = bind.exec_driver_sql(
        "SELECT COUNT(*) FROM (SELECT cert_no_hash, version FROM certificates GROUP BY cert_no_hash, version "
        "HAVING COUNT(*) > 1) d").scalar()
    if unnumbered or shared:
        raise RuntimeError(
            f"cannot downgrade below 0008: {unnumbered} certificates have no 证号 and {shared} 证号/version "
            "pairs belong to several certificates (several items of one holder); the older schema cannot "
            "hold them")
