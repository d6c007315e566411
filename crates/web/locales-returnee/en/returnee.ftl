# Pages and papers for returnees: plain language. See docs/translations.md
# for which translations a native speaker has reviewed.
receipt-title = Your consent: receipt
receipt-intro = This paper records a choice about your personal information in the programme “{ $programme }”. Keep it.
receipt-section = What was chosen
receipt-label = Item
receipt-value = Details
receipt-person = Person
receipt-given-by = Given on their behalf by
receipt-case = Case number
receipt-purpose = What was agreed
receipt-shared-with = Who receives the information
receipt-given-on = Date agreed
receipt-withdrawn-on = Date withdrawn
receipt-withdrawn-reason = Reason given
receipt-status = Status now
receipt-in-force = In force
receipt-withdrawn = Withdrawn
receipt-how-to-withdraw = You can withdraw this consent at any time, free of charge, and you keep the help you are entitled to. Tell your counsellor or any IOM office, by phone, in writing or in person. It takes effect at once.
receipt-org = International Organization for Migration
receipt-org-short = IOM
purpose-what-share_with_cbsa = Sharing your travel plans (flights, dates, bookings) with { $authority } before you leave.
purpose-who-share_with_cbsa = { $authority }
purpose-what-share_with_mission = Sharing your case, including counselling notes and information about your health and needs, with the IOM office in the country you return to, so that it can meet you and help you after you arrive.
purpose-who-share_with_mission = The IOM office in your country of return
purpose-what-collect_health_data = Recording information about your health (fitness to travel, medical needs) so that your journey is safe.
purpose-who-collect_health_data = Your IOM counsellor and their supervisor
