"""Attribution: which launch, source and creator each conversion (a purchase, an episode unlock, a
completed rewarded ad) belongs to, the conversions kept with it, and the creator's commission.

Payments, dramas and ads record their conversions here; creators read their earnings from here.
"""
