{#-
    Rows whose value is not in the fixed list `list_name` (e.g. 'interactions.event_type').
    The list's one home is the canonical contract (dagster_project/lib/canonical.py); a
    source mapping may extend it (accepted_values in sources.yml). The loader writes both
    to raw.accepted_values at every load, so this test accepts exactly what the loader
    accepted. Null values pass: pair with not_null where a value is required.
-#}
{% test accepted_in_contract(model, column_name, list_name) %}

with allowed as (
    select value from {{ source('raw', 'accepted_values') }}
    where list_name = '{{ list_name }}'
)

select {{ column_name }} as value_not_in_list
from {{ model }}
where
    {{ column_name }} is not null
    and {{ column_name }} not in (select allowed.value from allowed)

{% endtest %}
