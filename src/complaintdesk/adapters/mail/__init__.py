"""E-mail intake adapters: parsing RFC 5322 messages and mbox files, and an IMAP mailbox."""
