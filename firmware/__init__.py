"""Raspberry Pi side of the insole monitor: ADC acquisition, GPIO feedback, the service.

Hardware libraries (the Adafruit driver's bus, Blinka's ``board``, gpiozero's real pin
factories) are imported only inside the backend that needs them, so this package imports
cleanly on any machine.
"""
