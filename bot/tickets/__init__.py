"""Work orders (工单): created from complaint calls, updated by callback surveys."""
