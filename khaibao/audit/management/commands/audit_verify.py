"""Former name of `verify_audit`, kept so existing runbooks and scripts still work."""

from khaibao.audit.management.commands.verify_audit import Command as VerifyAudit


class Command(VerifyAudit):
    help = "Alias of verify_audit. " + VerifyAudit.help
