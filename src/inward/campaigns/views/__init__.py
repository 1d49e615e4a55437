"""The campaign pages, one module per area: campaigns (list, detail, brief, launch), the
journey (touches, variants, preview), approvals, the calendar with blackouts, and external
campaigns with their launch kit."""
