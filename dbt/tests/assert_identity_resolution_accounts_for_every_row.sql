{{ config(meta={'dagster': {'ref': {'name': 'identity_resolution'}}}) }}
-- Every reference resolves one way or stays anonymous, and only interactions may stay
-- anonymous (a purchase, note or contact without a CRM match becomes a guest).
select *
from {{ ref('identity_resolution') }}
where
    rows_total <> rows_crm_id + rows_crm_email + rows_guest + rows_anonymous
    or (source <> 'interactions' and rows_anonymous > 0)
