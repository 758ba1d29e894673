"""The ticket domain: tickets, members, boards, conversations, keys, the policy and the read models."""
