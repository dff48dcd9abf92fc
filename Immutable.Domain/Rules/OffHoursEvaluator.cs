using System.Globalization;
using Immutable.Domain.Events;

namespace Immutable.Domain.Rules;

/// <summary>
/// Fires when the event's local time (occurred_at in the rule's IANA time zone, DST-correct) falls in
/// [start_hour, end_hour); start &gt; end wraps midnight (22 → 6 is 22:00–05:59). Listed weekdays are off all day.
/// </summary>
public sealed class OffHoursEvaluator(AlertRule rule) : IEventRuleEvaluator
{
    private readonly OffHoursConditions _conditions = (OffHoursConditions)rule.Conditions;
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(((OffHoursConditions)rule.Conditions).TimeZone);

    public AlertRule Rule => rule;

    public static bool IsOffHours(DateTime localTime, int startHour, int endHour, IReadOnlyList<DayOfWeek> days)
    {
        if (days.Contains(localTime.DayOfWeek)) return true;
        var h = localTime.Hour;
        if (startHour == endHour) return false;
        return startHour < endHour ? h >= startHour && h < endHour : h >= startHour || h < endHour;
    }

    public RuleHit? Observe(AuditEvent e)
    {
        if (!ActionPattern.MatchesAny(_conditions.ActionPatterns, e.Content.Action)) return null;
        var utc = DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc);
        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, _zone);
        if (!IsOffHours(local, _conditions.StartHour, _conditions.EndHour, _conditions.Days)) return null;

        var offset = _zone.GetUtcOffset(utc);
        var localIso = new DateTimeOffset(local, offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        var window = _conditions.StartHour == _conditions.EndHour
            ? "off-hours days"
            : $"{_conditions.StartHour:00}:00–{(_conditions.EndHour + 23) % 24:00}:59 is off-hours";
        return new RuleHit(rule, e.Content.ActorId, e.Content.ActorId, e, e.OccurredAt,
            $"Actor {e.Content.ActorId} {Wording.Did(e)} at {local.ToString("HH:mm", CultureInfo.InvariantCulture)} {_conditions.TimeZone} ({local.DayOfWeek}), outside working hours ({window})",
            new OffHoursContext(localIso, _conditions.TimeZone, new OffHoursWindow(_conditions.StartHour, _conditions.EndHour, _conditions.Days)),
            [e.Id]);
    }
}
