"""The SQL floor: the same data as each API answer, fetched by ONE hand-written query with PostgreSQL building the
JSON (json_build_object / json_agg). No ORM, no serializer, no HTTP: what the database alone costs.

The documents carry the same fields as the API's (same rows, same nesting), so the ratio app / floor is the
price of Django, DRF, the serializers and HTTP on top of the unavoidable database work.
"""

from __future__ import annotations

PUBLIC = "('published', 'superseded', 'withdrawn')"

VERSION_DOCUMENT = f"""
SELECT json_build_object(
  'format', 'cos-registry/version/1',
  'set', json_build_object(
     'slug', s.slug, 'title', s.title, 'url', '/sets/' || s.slug || '/',
     'disease_area', json_build_object('slug', da.slug, 'name', da.name),
     'conditions', (SELECT COALESCE(json_agg(json_build_object(
          'slug', c.slug, 'name', c.name, 'snomed_ct_id', c.snomed_ct_id,
          'icd10', (SELECT COALESCE(json_agg(ic.code ORDER BY ic.code), '[]') FROM diseases_icd10code ic
                     WHERE ic.condition_id = c.id)) ORDER BY c.name), '[]')
        FROM outcomes_coreoutcomeset_conditions sc JOIN diseases_condition c ON c.id = sc.condition_id
       WHERE sc.coreoutcomeset_id = s.id),
     'scope_population', s.scope_population, 'scope_intervention', s.scope_intervention,
     'scope_setting', s.scope_setting, 'developers', s.developers, 'comet_registry_id', s.comet_registry_id,
     'completeness', s.completeness),
  'version', v.version, 'status', v.status, 'draft', v.status NOT IN {PUBLIC},
  'canonical_url', '/sets/' || s.slug || '/v/' || v.version || '/',
  'published_on', v.published_on, 'published_on_precision', v.published_on_precision,
  'provenance', json_build_object(
     'published_at', v.published_at, 'changelog', v.changelog,
     'derived_from', (SELECT p.version FROM outcomes_coreoutcomesetversion p WHERE p.id = v.derived_from_id),
     'successors', (SELECT COALESCE(json_agg(n.version ORDER BY n.major, n.minor, n.patch), '[]')
                      FROM outcomes_coreoutcomesetversion n WHERE n.derived_from_id = v.id AND n.status IN {PUBLIC}),
     'withdrawn_at', v.withdrawn_at, 'withdrawn_reason', v.withdrawn_reason),
  'outcomes', (SELECT COALESCE(json_agg(json_build_object(
       'identity', o.identity, 'name', o.name, 'definition', o.definition, 'applies_to', o.applies_to,
       'note', o.note, 'order', o."order",
       'domains', (SELECT COALESCE(json_agg(json_build_object('number', d.number, 'name', d.name,
                          'core_area', d.core_area) ORDER BY d.number), '[]')
                     FROM outcomes_outcome_domains od JOIN outcomes_outcomedomain d ON d.id = od.outcomedomain_id
                    WHERE od.outcome_id = o.id),
       'measurements', (SELECT COALESCE(json_agg(json_build_object(
                          'instrument', CASE WHEN i.id IS NULL THEN NULL ELSE json_build_object('acronym', i.acronym,
                                        'name', i.name, 'kind', i.kind, 'url', i.url) END,
                          'timing', m.timing, 'note', m.note) ORDER BY m."order", m.id), '[]')
                          FROM outcomes_measurement m LEFT JOIN outcomes_instrument i ON i.id = m.instrument_id
                         WHERE m.outcome_id = o.id)
     ) ORDER BY o."order", o.id), '[]') FROM outcomes_outcome o WHERE o.version_id = v.id),
  'references', (SELECT COALESCE(json_agg(json_build_object('citation', r.citation, 'doi', r.doi,
       'doi_url', CASE WHEN r.doi = '' THEN '' ELSE 'https://doi.org/' || r.doi END, 'pmid', r.pmid,
       'pmcid', r.pmcid, 'url', r.url) ORDER BY r."order", r.id), '[]')
       FROM outcomes_reference r WHERE r.version_id = v.id)
)::text
FROM outcomes_coreoutcomeset s
JOIN outcomes_coreoutcomesetversion v ON v.core_outcome_set_id = s.id
JOIN diseases_diseasearea da ON da.id = s.disease_area_id
WHERE s.slug = %(slug)s AND v.version = %(version)s AND v.status IN {PUBLIC}
"""

# The list document from the CTEs `matches` (every matching set) and `page` (the first page of them).
_SET_LIST_DOCUMENT = """
SELECT json_build_object(
  'count', (SELECT count(*) FROM matches),
  'results', COALESCE((SELECT json_agg(json_build_object(
     'slug', p.slug, 'title', p.title, 'url', '/api/v1/core-outcome-sets/' || p.slug || '/',
     'web_url', '/sets/' || p.slug || '/',
     'disease_area', (SELECT json_build_object('slug', da.slug, 'name', da.name)
                        FROM diseases_diseasearea da WHERE da.id = p.disease_area_id),
     'conditions', (SELECT COALESCE(json_agg(json_build_object('slug', c.slug, 'name', c.name) ORDER BY c.name), '[]')
                      FROM outcomes_coreoutcomeset_conditions sc JOIN diseases_condition c ON c.id = sc.condition_id
                     WHERE sc.coreoutcomeset_id = p.id),
     'current_version', (SELECT json_build_object('version', v.version, 'status', v.status,
                          'published_on', v.published_on, 'published_at', v.published_at)
                           FROM outcomes_coreoutcomesetversion v
                          WHERE v.core_outcome_set_id = p.id AND v.status = 'published'),
     'outcome_count', (SELECT count(*) FROM outcomes_coreoutcomesetversion v JOIN outcomes_outcome o
                          ON o.version_id = v.id WHERE v.core_outcome_set_id = p.id AND v.status = 'published')
  ) ORDER BY p.title, p.id) FROM page p), '[]')
)::text
"""


# The search engine's strategy (outcomes/search/engine.py), in one statement: the ranking candidates are at most
# %(candidates)s sets per tier (title and conditions; title, conditions and outcome names; anywhere), each tier found
# through its own GIN index among the sets that pass `filters`, a lower tier read only while the higher ones are not
# full; only they are ranked (tier, then ts_rank scaled to [0, 1)). The app takes CANDIDATES per tier and one more
# to tell whether more match; here the tiers take CANDIDATES + 1 and all are ranked (a row or two more).
def _ranked_candidates(filters: str, columns: str) -> str:
    def tier(name: str, document: str, higher: tuple[str, ...]) -> str:
        not_full = "".join(f" AND (SELECT count(*) FROM {h}) < %(candidates)s" for h in higher)
        return f"""{name} AS MATERIALIZED (
  SELECT s.id FROM outcomes_setsearchindex i JOIN outcomes_coreoutcomeset s ON s.id = i.core_outcome_set_id
   WHERE i.{document} @@ to_tsquery('simple', %(tsquery)s) AND {filters}{not_full} LIMIT %(candidates)s)"""

    return f"""
WITH {tier("head", "head_document", ())},
{tier("names", "names_document", ("head",))},
{tier("anywhere", "document", ("head", "names"))},
matches AS MATERIALIZED (
  SELECT {columns},
         CASE WHEN i.head_document @@ to_tsquery('simple', %(tsquery)s) THEN 2
              WHEN i.names_document @@ to_tsquery('simple', %(tsquery)s) THEN 1 ELSE 0 END
         + r.rank / (r.rank + 1) AS rank
    FROM (SELECT id FROM head UNION SELECT id FROM names UNION SELECT id FROM anywhere) c
    JOIN outcomes_coreoutcomeset s ON s.id = c.id
    JOIN outcomes_setsearchindex i ON i.core_outcome_set_id = s.id
    CROSS JOIN LATERAL (SELECT ts_rank(i.document, to_tsquery('simple', %(tsquery)s))::float8 AS rank) r
)"""


# The filtered list's first page and its count, with the API's filter semantics and through the same schema as the
# app: all three filters through the set search index (outcomes/models/search.py): the set's disease area; an
# outcome of the current version in the domain (its bit); q by the search engine's ranked candidates (above).
SET_LIST_PAGE = (
    _ranked_candidates(
        f"""i.disease_area_id = (SELECT da.id FROM diseases_diseasearea da WHERE da.slug = %(area)s)
             AND i.domain_bits & (1::bigint << (%(domain)s - 1)) <> 0
             AND EXISTS (SELECT 1 FROM outcomes_coreoutcomesetversion v WHERE v.core_outcome_set_id = s.id
                          AND v.status IN {PUBLIC})""",
        "s.id, s.slug, s.title, s.disease_area_id",
    )
    + """, page AS (
  SELECT * FROM matches ORDER BY rank DESC, title, id LIMIT %(page_size)s
)"""
    + _SET_LIST_DOCUMENT.replace("ORDER BY p.title, p.id", "ORDER BY p.rank DESC, p.title, p.id")
)

# Free-text search (GET /api/v1/search/?q=): the floor is the one query that finds and ranks the public sets
# matching the words by the engine's strategy (above), and returns the first page with the count and the sources
# the app reads "why it matched" from. Instrument and outcome hits are extra work the app does on top.
FREE_TEXT_SEARCH = (
    _ranked_candidates(
        f"""EXISTS (SELECT 1 FROM outcomes_coreoutcomesetversion v WHERE v.core_outcome_set_id = s.id
                     AND v.status IN {PUBLIC})""",
        "s.id, s.slug, s.title, i.sources",
    )
    + """
SELECT json_build_object(
  'set_count', (SELECT count(*) FROM matches),
  'results', COALESCE((SELECT json_agg(json_build_object('kind', 'set', 'label', p.title, 'slug', p.slug,
       'rank', p.rank, 'sources', p.sources) ORDER BY p.rank DESC, p.title, p.id)
     FROM (SELECT * FROM matches ORDER BY rank DESC, title, id LIMIT %(page_size)s) p), '[]')
)::text
"""
)

# The same from the base tables, without the search index: both filters join over every outcome of every public
# version. Measured once beside the floor as an extra, labelled figure (bench/run.py); not used for the ratio.
SET_LIST_PAGE_BASE_TABLES = f"""
WITH matches AS MATERIALIZED (
  SELECT s.id, s.slug, s.title, s.disease_area_id
    FROM outcomes_coreoutcomeset s JOIN diseases_diseasearea da ON da.id = s.disease_area_id
   WHERE da.slug = %(area)s
     AND EXISTS (SELECT 1 FROM outcomes_coreoutcomesetversion v
                   JOIN outcomes_outcome o ON o.version_id = v.id
                   JOIN outcomes_outcome_domains od ON od.outcome_id = o.id
                   JOIN outcomes_outcomedomain d ON d.id = od.outcomedomain_id
                  WHERE v.core_outcome_set_id = s.id AND v.status IN {PUBLIC} AND d.number = %(domain)s)
     AND (s.title ILIKE %(like)s
          OR EXISTS (SELECT 1 FROM outcomes_coreoutcomesetversion v JOIN outcomes_outcome o ON o.version_id = v.id
                      WHERE v.core_outcome_set_id = s.id AND v.status IN {PUBLIC} AND o.name ILIKE %(like)s))
), page AS (
  SELECT * FROM matches ORDER BY title, id LIMIT %(page_size)s
)
{_SET_LIST_DOCUMENT}"""

_TALLY_COUNTS = """
SELECT ri.id, p.group_id, GROUPING(p.group_id) AS overall,
       count(*) FILTER (WHERE r.score IS NOT NULL) AS n,
       count(*) FILTER (WHERE r.unable_to_score) AS n_unable,
       count(*) FILTER (WHERE r.score BETWEEN 1 AND 3) AS n_low,
       count(*) FILTER (WHERE r.score BETWEEN 4 AND 6) AS n_mid,
       count(*) FILTER (WHERE r.score BETWEEN 7 AND 9) AS n_high,
       count(*) FILTER (WHERE r.score = 1) AS s1, count(*) FILTER (WHERE r.score = 2) AS s2,
       count(*) FILTER (WHERE r.score = 3) AS s3, count(*) FILTER (WHERE r.score = 4) AS s4,
       count(*) FILTER (WHERE r.score = 5) AS s5, count(*) FILTER (WHERE r.score = 6) AS s6,
       count(*) FILTER (WHERE r.score = 7) AS s7, count(*) FILTER (WHERE r.score = 8) AS s8,
       count(*) FILTER (WHERE r.score = 9) AS s9
  FROM outcomes_rating r
  JOIN outcomes_rounditem ri ON ri.id = r.round_item_id
  JOIN outcomes_panelist p ON p.id = r.panelist_id
"""
_TALLY_GROUPS = """ WHERE ri.round_id = ANY(%(round_ids)s)
 GROUP BY GROUPING SETS ((ri.id), (ri.id, p.group_id))
"""

# The tally's aggregation in one GROUP BY: per round item, overall and per stakeholder group, the denominator,
# the unable-to-score count and the distribution of scores 1..9 (from which bands, median and quartiles follow,
# as the tally service derives them: outcomes/services/tally.py quantile_from_bins), over the ratings of panelists
# who submitted the round, as the service counts them (answers saved as progress are not tallied).
TALLY_GROUP_BY = (
    _TALLY_COUNTS
    + """  JOIN outcomes_participation pa
    ON pa.round_id = ri.round_id AND pa.panelist_id = r.panelist_id AND pa.completed_at IS NOT NULL
"""
    + _TALLY_GROUPS
)

# A second floor: every rating of the rounds, submitted or not (no join to participations): what counting saved
# progress too would cost. Reported beside the floor above; the ratio is taken against TALLY_GROUP_BY.
TALLY_GROUP_BY_ALL_RATINGS = _TALLY_COUNTS + _TALLY_GROUPS
