UPDATE runs SET spec_json = '{"slo": 5}', hostname = char(0x202e) || 'evil';
