"""Customers: the individuals and businesses a platform pays out to."""
