"""Each role's home after sign-in: that role's queues, counts and urgency first."""
