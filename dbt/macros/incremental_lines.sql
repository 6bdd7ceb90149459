{#-
    Staging models of sources that only grow (order lines, events, notes) are incremental on
    the load batch. raw keeps every loaded file's rows: a load adds the rows of new files,
    deletes and re-inserts the rows of a replaced file, deletes a pruned file's rows, and
    deletes the rows of other files whose natural key a newer file brings again (the latest
    file wins). raw.load_manifest holds each file's current content hash.

    A staging table follows raw in three moves, none of which reads old lines' values:
      1. pre-hook `delete_rows_of_changed_files`: rows of a file whose hash no longer is the
         manifest's (replaced) or whose rows are gone from raw (pruned) are deleted;
      2. `rows_of_new_files`: only raw rows of files (path + hash) the table does not hold
         yet are selected;
      3. `delete+insert` with the natural key as unique_key: a row whose key is
         already staged (brought by an older file) is replaced.
    Nothing here filters on dates: staging holds every line whatever its date, so any past
    scoring date can be scored again; as-of filters stay in the downstream models.
-#}

{#- How the line staging models materialise: incremental on DuckDB; a whole table on Spark,
    whose Parquet tables support neither delete+insert nor merge (merge needs Delta or
    Iceberg) and whose build there starts from an export of raw anyway (so the incremental
    strategy the models name is DuckDB's). -#}
{% macro line_materialization() -%}
    {{ return(adapter.dispatch('line_materialization', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__line_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__line_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{#- Files (path, hash) in the load manifest of `source_name` that the table does not hold. -#}
{% macro new_files_of(source_name) -%}
    select manifest.file_path, manifest.file_hash
    from {{ source('raw', 'load_manifest') }} as manifest
    where
        manifest.source = '{{ source_name }}'
        and not exists (
            select 1
            from {{ this }} as staged
            where
                staged.source_file = manifest.file_path
                and staged.source_file_hash = manifest.file_hash
        )
{%- endmacro %}


{#- A `where` clause on raw rows: on an incremental run, only the rows of files new to
    the table; nothing on a first build or a full refresh. -#}
{% macro rows_of_new_files(source_name) -%}
    {%- if is_incremental() %}
    where (_source_file, _file_hash) in ({{ new_files_of(source_name) }})
    {%- endif %}
{%- endmacro %}


{#- Pre-hook: the staged rows of files that were replaced (their hash is no longer the
    manifest's) or pruned (no row of theirs is left in raw). -#}
{% macro delete_rows_of_changed_files(source_name) -%}
    {%- if is_incremental() -%}
        {{ return(adapter.dispatch('delete_rows_of_changed_files', 'customer_scoring')(source_name)) }}
    {%- else -%}
        {{ return('select 1 as nothing_to_delete') }}
    {%- endif -%}
{%- endmacro %}

{% macro default__delete_rows_of_changed_files(source_name) -%}
    delete from {{ this }}
    where source_file in (
        select staged.source_file
        from (
            select distinct
                source_file,
                source_file_hash
            from {{ this }}
        ) as staged
        left join {{ source('raw', 'load_manifest') }} as manifest
            on
                manifest.source = '{{ source_name }}'
                and manifest.file_path = staged.source_file
        where
            manifest.file_hash != staged.source_file_hash
            or (
                not manifest.is_present
                and not exists (
                    select 1
                    from {{ source('raw', source_name) }} as raw_rows
                    where raw_rows._source_file = staged.source_file
                )
            )
    )
{%- endmacro %}
