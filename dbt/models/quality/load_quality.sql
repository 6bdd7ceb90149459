-- Per source, what the loads made of the landing files still present: rows read, loaded,
-- quarantined, dropped as duplicates or filtered out, the share rejected (of the source and
-- of its worst file: a small file wholly rejected is lost in a large source's share), and
-- the most frequent rejection reasons. The load_quality suite blocks publication on it.
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

file_shares as (
    select
        source,
        file_path,
        rows_quarantined / rows_read as quarantine_share,
        row_number() over (
            partition by source order by rows_quarantined / rows_read desc, file_path
        ) as worst_first
    from manifest
    where rows_read > 0
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
        coalesce(worst.quarantine_share, 0) as worst_file_quarantine_share,
        worst.file_path as worst_file_path,
        reasons.top_reasons,
        files.last_loaded_at
    from files
    left join reasons on files.source = reasons.source
    left join file_shares as worst on files.source = worst.source and worst.worst_first = 1
)

select * from final
