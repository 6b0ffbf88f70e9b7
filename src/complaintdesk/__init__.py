"""complaintdesk: complaint handling for complaint centres and telecom complaint departments."""

__version__ = "0.1.0"
