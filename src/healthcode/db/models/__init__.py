"""Every table of the platform, one module per feature; importing this fills ``Base.metadata``."""

from healthcode.db.models.accounts import Resident, SmsChallenge, SmsQuotaReset
from healthcode.db.models.api_keys import StaffApiKey
from healthcode.db.models.audit import AuditHead, AuditRecord
from healthcode.db.models.cards import Application, ApplicationPhoto, Card, CardHolder
from healthcode.db.models.certificates import PaperCertificate
from healthcode.db.models.checkpoints import FeverRecord, Scan, Site, StaffSite
from healthcode.db.models.codes import RevokedToken, SigningKeyRecord, TrustedListRecord
from healthcode.db.models.colours import (
    Aggregate,
    Declaration,
    ListEntry,
    ListImport,
    RecodeRecord,
    RiskAreaRecord,
    RuleSetProposal,
    RuleSetRecord,
    TestResultRecord,
)
from healthcode.db.models.jobs import JobLease
from healthcode.db.models.sessions import AuthSession
from healthcode.db.models.sms import SmsOutboxMessage
from healthcode.db.models.staff import StaffAccount
from healthcode.db.models.statistics import StatisticsDay, StatisticsMark, StatisticsScanHour
from healthcode.db.models.support import Ticket, TicketFix, TicketReply

__all__ = [
    "Aggregate",
    "Application",
    "ApplicationPhoto",
    "AuditHead",
    "AuditRecord",
    "AuthSession",
    "Card",
    "CardHolder",
    "Declaration",
    "FeverRecord",
    "JobLease",
    "ListEntry",
    "ListImport",
    "PaperCertificate",
    "RecodeRecord",
    "Resident",
    "RevokedToken",
    "RiskAreaRecord",
    "RuleSetProposal",
    "RuleSetRecord",
    "Scan",
    "SigningKeyRecord",
    "Site",
    "SmsChallenge",
    "SmsOutboxMessage",
    "SmsQuotaReset",
    "StaffAccount",
    "StaffApiKey",
    "StaffSite",
    "StatisticsDay",
    "StatisticsMark",
    "StatisticsScanHour",
    "TestResultRecord",
    "Ticket",
    "TicketFix",
    "TicketReply",
    "TrustedListRecord",
]
