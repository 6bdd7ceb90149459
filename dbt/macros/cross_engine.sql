{#-
    SQL that DuckDB and Spark spell differently, one macro per construct, dispatched per
    adapter (duckdb__ / spark__; default__ is the DuckDB spelling). Models call these, or
    dbt's own cross-database macros (dbt.datediff, dbt.dateadd, dbt.safe_cast, dbt.listagg,
    dbt.type_string ...), never an engine's dialect directly.
-#}

{#- Integer division rounding towards zero (operands are non-negative where it is used). -#}
{% macro int_div(numerator, denominator) -%}
    {{ return(adapter.dispatch('int_div', 'customer_scoring')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__int_div(numerator, denominator) -%}
    ({{ numerator }}) // ({{ denominator }})
{%- endmacro %}

{% macro spark__int_div(numerator, denominator) -%}
    ({{ numerator }}) div ({{ denominator }})
{%- endmacro %}

{#- Whether `text` contains a match of the regular expression `pattern` (both engines'
    syntaxes agree on what the seeds use: \b, \w, groups, alternation). -#}
{% macro regexp_contains(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_contains', 'customer_scoring')(text, pattern)) }}
{%- endmacro %}

{% macro default__regexp_contains(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regexp_contains(text, pattern) -%}
    regexp_like({{ text }}, {{ pattern }})
{%- endmacro %}

{#- Text without accents (é -> e, Ç -> C, ß kept): DuckDB's strip_accents; Spark has no
    such function, so it translates the accented letters of the Latin alphabets. -#}
{% macro strip_accents(text) -%}
    {{ return(adapter.dispatch('strip_accents', 'customer_scoring')(text)) }}
{%- endmacro %}

{% macro default__strip_accents(text) -%}
    strip_accents({{ text }})
{%- endmacro %}

{% macro spark__strip_accents(text) -%}
    translate(
        {{ text }},
        'ÀÁÂÃÄÅàáâãäåÇçĆćČčÈÉÊËèéêëĘęĚěÌÍÎÏìíîïÑñŃńŇňÒÓÔÕÖòóôõöŚśŠšÙÚÛÜùúûüŮůÝýÿŸŹźŻżŽžĎďŘřŤťĹĺĽľ',
        'AAAAAAaaaaaaCcCcCcEEEEeeeeEeEeIIIIiiiiNnNnNnOOOOOoooooSsSsUUUUuuuuUuYyyYZzZzZzDdRrTtLlLl'
    )
{%- endmacro %}

{#- Whether `value` is one of the values of `list_text` separated by `delimiter` (a literal
    one-character string), e.g. 'fr' in 'FR|BE' after lower(): no lists, so it is the same
    on every engine. -#}
{% macro in_delimited_list(value, list_text, delimiter="'|'") -%}
    {{ dbt.position(dbt.concat([delimiter, value, delimiter]), dbt.concat([delimiter, list_text, delimiter])) }} > 0
{%- endmacro %}

{#- A date as YYYY-MM-DD text. -#}
{% macro date_text(date_expression) -%}
    cast({{ date_expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- dbt-spark's listagg ignores the order (collect_list has none): Spark 4 orders with
    listagg ... within group. The first `limit_num` values are the text before the
    limit_num-th delimiter (values must not contain the delimiter). -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set aggregated -%}
        listagg({{ measure }}, {{ delimiter_text }})
        {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
    {%- endset -%}
    {%- if limit_num -%}
        substring_index({{ aggregated }}, {{ delimiter_text }}, {{ limit_num }})
    {%- else -%}
        {{ aggregated }}
    {%- endif -%}
{%- endmacro %}

{#- dbt-spark's safe_cast is a plain cast, which fails on bad input under Spark's ANSI mode
    (the default since Spark 4): try_cast gives null, as safe_cast does on DuckDB. -#}
{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#- Whole years from `start_date` to `end_date` (an age: a birthday not yet reached that
    year does not count; born on 29 February, one is a year older on 1 March). -#}
{% macro completed_years(start_date, end_date) -%}
    {{ return(adapter.dispatch('completed_years', 'customer_scoring')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__completed_years(start_date, end_date) -%}
    date_part('year', age({{ end_date }}, {{ start_date }}))
{%- endmacro %}

{% macro spark__completed_years(start_date, end_date) -%}
    (
        year({{ end_date }}) - year({{ start_date }})
        - case
            when month({{ end_date }}) * 100 + day({{ end_date }})
                < month({{ start_date }}) * 100 + day({{ start_date }})
                then 1
            else 0
        end
    )
{%- endmacro %}

{#- `text` with every match of `pattern` replaced. `pattern` is a SQL string literal as
    DuckDB reads it (a backslash is itself); Spark reads backslashes in literals as escapes,
    so they are doubled for it. -#}
{% macro regexp_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'customer_scoring')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern | replace("\\", "\\\\") }}, {{ replacement }})
{%- endmacro %}

{#- The number of values of `list_text` separated by the one-character `delimiter`. -#}
{% macro delimited_count(list_text, delimiter="'|'") -%}
    (length({{ list_text }}) - length(replace({{ list_text }}, {{ delimiter }}, '')) + 1)
{%- endmacro %}

{#- A SQL string literal of `text`: DuckDB reads backslashes as themselves, Spark as
    escapes (so `like ... escape '\'` must be written escape '\\' there). -#}
{% macro string_literal(text) -%}
    {{ return(adapter.dispatch('string_literal', 'customer_scoring')(text)) }}
{%- endmacro %}

{% macro default__string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#- Incremental history tables replace all the rows of the scoring dates they rebuild, the
    rows of customers no longer scored included: DuckDB deletes and inserts on the unique
    key, scoring_date (rows are unique on scoring_date and customer_id, which their tests
    check); Spark (Parquet tables) overwrites the partitions of those dates, so the tables
    are partitioned by scoring_date there. -#}
{% macro history_incremental_strategy() -%}
    {{ return('insert_overwrite' if target.type == 'spark' else 'delete+insert') }}
{%- endmacro %}

{% macro history_partition_by() -%}
    {{ return(['scoring_date'] if target.type == 'spark' else none) }}
{%- endmacro %}

{#- A double rounded to `digits` decimals, halves away from zero, the same on every engine:
    DuckDB rounds the binary value (57.05 is 57.04999... so 57.0) where Spark rounds its
    decimal text (57.1); going through decimal(38, 9) first removes the binary noise, so
    both give 57.1. -#}
{% macro round_decimal(expression, digits) -%}
    cast(round(cast({{ expression }} as decimal(38, 9)), {{ digits }}) as double)
{%- endmacro %}
