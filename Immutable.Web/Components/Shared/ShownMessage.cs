using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Components.Shared;

/// <summary>
/// A field's own message given to MudBlazor as its <c>Validation</c>, for fields checked as they are typed.
/// MudBlazor re-validates a field on every value change and sets its error from what validation returns, overriding
/// the <c>Error</c> parameter; it takes that parameter again only when its value changes. A form that passed only
/// <c>Error="true"</c> therefore lost its message when a second invalid value was typed (still true: not re-applied),
/// and Save did not bring it back. Read at validation time, after the form has checked the new value, this returns
/// the message the form shows for the field, so MudBlazor's own state always agrees with it.
/// </summary>
public sealed class ShownMessage(Func<string?> message) : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        message() is { Length: > 0 } text ? new ValidationResult(text) : ValidationResult.Success;
}
