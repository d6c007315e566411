-- Why a purchase goes above its category's line in the plan (issue 23):
-- asked of the requester, shown to the approver.
ALTER TABLE purchases ADD COLUMN over_plan_reason TEXT;
