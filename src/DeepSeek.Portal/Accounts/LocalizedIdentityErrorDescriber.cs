using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Accounts;

/// <summary>
/// Identity's messages (password rules, duplicate or invalid e-mail) in the user's language. Identity words them in
/// English only; the UI and the API both show these descriptions, so they come from the portal's resources.
/// </summary>
public sealed class LocalizedIdentityErrorDescriber(IStringLocalizer<SharedResource> l) : IdentityErrorDescriber
{
    private IdentityError Error(string code, string key, params object[] args) => new() { Code = code, Description = l[key, args] };

    public override IdentityError DefaultError() => Error(nameof(DefaultError), "Identity_DefaultError");
    public override IdentityError DuplicateEmail(string email) => Error(nameof(DuplicateEmail), "Identity_DuplicateEmail", email);
    public override IdentityError DuplicateUserName(string userName) => Error(nameof(DuplicateUserName), "Identity_DuplicateEmail", userName);
    public override IdentityError InvalidEmail(string? email) => Error(nameof(InvalidEmail), "Identity_InvalidEmail", email ?? "");
    public override IdentityError InvalidUserName(string? userName) => Error(nameof(InvalidUserName), "Identity_InvalidEmail", userName ?? "");
    public override IdentityError PasswordTooShort(int length) => Error(nameof(PasswordTooShort), "Identity_PasswordTooShort", length);
    public override IdentityError PasswordRequiresDigit() => Error(nameof(PasswordRequiresDigit), "Identity_PasswordRequiresDigit");
    public override IdentityError PasswordRequiresLower() => Error(nameof(PasswordRequiresLower), "Identity_PasswordRequiresLower");
    public override IdentityError PasswordRequiresUpper() => Error(nameof(PasswordRequiresUpper), "Identity_PasswordRequiresUpper");
    public override IdentityError PasswordRequiresNonAlphanumeric() => Error(nameof(PasswordRequiresNonAlphanumeric), "Identity_PasswordRequiresNonAlphanumeric");
    public override IdentityError PasswordRequiresUniqueChars(int uniqueChars) => Error(nameof(PasswordRequiresUniqueChars), "Identity_PasswordRequiresUniqueChars", uniqueChars);
    public override IdentityError PasswordMismatch() => Error(nameof(PasswordMismatch), "Identity_PasswordMismatch");
    public override IdentityError UserAlreadyInRole(string role) => Error(nameof(UserAlreadyInRole), "Identity_UserAlreadyInRole", role);
    public override IdentityError ConcurrencyFailure() => Error(nameof(ConcurrencyFailure), "Identity_ConcurrencyFailure");
}
