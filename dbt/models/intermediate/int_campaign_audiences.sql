-- Who a campaign spoke to, whole and in the two ways marketing cuts its base: one row per
-- customer a campaign selected (contacted or held out) and audience_kind.
-- - campaign: everyone the campaign selected (audience 'all'): one answer per campaign,
--   against its whole control group, where the cuts below may each be too thin for one.
-- - segment: the RFM segment as of the campaign's start (int_campaign_audience_segments).
-- - group: the predictive group (A, B, C...) the customer was in when the campaign
--   started: the groups of the latest scoring date on or before the campaign's start in
--   predictive_group_history. Where the history does not reach back that far (the first
--   scoring dates ever run), the groups of the current scoring date stand in; they were
--   cut after the campaign and may reflect its own responses, so
--   is_audience_known_at_contact says which rows are honest forecasts of a contact's
--   audience. A customer who was not a buyer on that date is 'ungrouped'.
-- Both are taken at the campaign's start, not at each contact, so a response cannot move
-- the audience of its own reminders.
with segments as (
    select * from {{ ref('int_campaign_audience_segments') }}
),

history as (
    select * from {{ ref('predictive_group_history') }}
    where scoring_date <= {{ scoring_date() }}
),

campaigns as (
    select distinct
        campaign_id,
        campaign_start_date
    from segments
),

history_dates as (
    select distinct scoring_date
    from history
    where scoring_date < {{ scoring_date() }}
),

group_dates as (
    select
        campaigns.campaign_id,
        max(history_dates.scoring_date) as known_group_date
    from campaigns
    left join history_dates on campaigns.campaign_start_date >= history_dates.scoring_date
    group by campaigns.campaign_id
),

grouped as (
    select
        segments.campaign_id,
        segments.customer_id,
        'group' as audience_kind,
        coalesce(history.predictive_group, 'ungrouped') as audience,
        coalesce(group_dates.known_group_date, {{ scoring_date() }}) as audience_as_of,
        group_dates.known_group_date is not null as is_audience_known_at_contact
    from segments
    inner join group_dates on segments.campaign_id = group_dates.campaign_id
    left join history
        on
            segments.customer_id = history.customer_id
            and coalesce(group_dates.known_group_date, {{ scoring_date() }})
            = history.scoring_date
),

final as (
    select
        campaign_id,
        customer_id,
        'segment' as audience_kind,
        segment as audience,
        campaign_start_date as audience_as_of,
        true as is_audience_known_at_contact
    from segments
    union all
    select
        campaign_id,
        customer_id,
        'campaign' as audience_kind,
        'all' as audience,
        campaign_start_date as audience_as_of,
        true as is_audience_known_at_contact
    from segments
    union all
    select * from grouped
)

select * from final
