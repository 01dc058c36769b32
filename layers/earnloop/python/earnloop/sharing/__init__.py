"""The sharing context: share links with signed referral tokens, what they lead to, and referrals."""
