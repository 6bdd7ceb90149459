{#-
    The 1-5 score of one RFM dimension, by the method chosen in var rfm_scoring_method:
    quantile: 1 + floor(5 * (rank - 1) / n), rank() over the scored population (ties share
    a score); threshold: the band of seed rfm_thresholds holding the value
    (min_value inclusive, max_value exclusive, empty max = no upper bound).
    `partition_by` ranks within each value of that column (e.g. per campaign) instead of
    over the whole population.
-#}
{% macro rfm_score(dimension, value_column, rank_direction, partition_by=none) -%}
    {%- set method = var('rfm_scoring_method')[dimension] -%}
    {%- if method == 'quantile' -%}
        {%- set partition = 'partition by ' ~ partition_by ~ ' ' if partition_by else '' %}
        1 + {{ int_div(
            '5 * (rank() over (' ~ partition ~ 'order by ' ~ value_column ~ ' ' ~ rank_direction ~ ') - 1)',
            'count(*) over (' ~ partition ~ ')'
        ) }}
    {%- elif method == 'threshold' -%}
        (
            select thresholds.score
            from {{ ref('rfm_thresholds') }} as thresholds
            where thresholds.dimension = '{{ dimension }}'
                and {{ value_column }} >= thresholds.min_value
                and (thresholds.max_value is null or {{ value_column }} < thresholds.max_value)
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error("rfm_scoring_method." ~ dimension ~ " must be quantile or threshold, not " ~ method) }}
    {%- endif -%}
{%- endmacro %}
