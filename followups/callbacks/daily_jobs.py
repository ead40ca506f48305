"""The callback centre's daily jobs (dealer_crm.jobs.registry): beat and run_daily_jobs run them."""
