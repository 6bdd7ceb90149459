-- Per source, what the loads made of the landing files still present: rows read, loaded,
-- quarantined, dropped as duplicates or filtered out, the share rejected, and the most
-- frequent rejection reasons. The load_quality suite blocks publication on it.
with manifest as (
    select * from {{ source('raw', 'load_manifest') }}
    where is_present
),

quarantine as (
    select * from {{ source('raw', 'quarantine') }}
),

files as (
    select
        source,
        count(*) as files,
        cast(sum(rows_read) as bigint) as rows_read,
        cast(sum(rows_loaded) as bigint) as rows_loaded,
        cast(sum(rows_quarantined) as bigint) as rows_quarantined,
        cast(sum(rows_duplicate) as bigint) as rows_duplicate,
        cast(sum(rows_filtered) as bigint) as rows_filtered,
        max(loaded_at) as last_loaded_at
    from manifest
    group by source
),

reason_counts as (
    select
        quarantine.source,
        quarantine.reason,
        count(*) as rows_rejected
    from quarantine
    inner join manifest
        on quarantine.source = manifest.source and quarantine.file_path = manifest.file_path
    group by quarantine.source, quarantine.reason
),

reasons as (
    select
        source,
        {{ dbt.listagg(
            dbt.concat(["reason", "' ('", "rows_rejected", "')'"]),
            "'; '",
            "order by rows_rejected desc, reason asc",
            3,
        ) }} as top_reasons
    from reason_counts
    group by source
),

final as (
    select
        files.source,
        files.files,
        files.rows_read,
        files.rows_loaded,
        files.rows_quarantined,
        files.rows_duplicate,
        files.rows_filtered,
        files.rows_loaded + files.rows_quarantined + files.rows_duplicate + files.rows_filtered
            as rows_accounted,
        coalesce(files.rows_quarantined / nullif(files.rows_read, 0), 0) as quarantine_share,
        reasons.top_reasons,
        files.last_loaded_at
    from files
    left join reasons on files.source = reasons.source
)

select * from final
