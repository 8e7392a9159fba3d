"""The agency referral web form at /refer: server-rendered, generated from flows/, signed in with an agency
token, submitting through the referral service (the same code as POST /v1/referrals)."""
