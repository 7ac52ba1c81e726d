"""Flask-RESTX, Flask-RESTful and flask-smorest: REST extensions whose routes are Flask's own."""
