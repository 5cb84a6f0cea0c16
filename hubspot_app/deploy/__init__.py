"""What a deployer runs once: the HubSpot project (crm_cards/) written for the deployment's own URL."""
