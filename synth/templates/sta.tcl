# axhdl timing and power run for OpenSTA (sta -no_init -no_splash -exit sta.tcl).
# Words between at-signs are placeholders, filled in by axhdl.synth.sta.run_sta().
read_liberty @liberty@
# after read_liberty: the first liberty read sets the command units to its own (ps for a
# picosecond liberty); axhdl's numbers are ns, pF, W whatever the liberty's units
set_cmd_units -time ns -capacitance pF -power W
read_verilog netlist.v
link_design @top@
@clock@
set axhdl_inputs [all_inputs]
@not_clock@
set_input_delay 0 -clock @clock_name@ $axhdl_inputs
set_output_delay 0 -clock @clock_name@ [all_outputs]
set_load @load_pf@ [all_outputs]
@driver@
puts "AXHDL_PATH_BEGIN"
report_checks -path_delay max -digits 6
puts "AXHDL_PATH_END"
puts "AXHDL slack [sta::worst_slack -max]"
set axhdl_corner [sta::cmd_corner]
# vectorless: OpenSTA propagates the input-port activity through the logic
set_power_activity -input -activity @input_activity@ -duty 0.5
puts "AXHDL vectorless [sta::design_power $axhdl_corner]"
# calibration: every net at a known activity (transitions per clock period)
foreach axhdl_act {0.0 @calibration@} {
  set_power_activity -global -activity $axhdl_act -duty 0.5
  foreach axhdl_inst [get_cells *] {
    puts "AXHDL inst $axhdl_act [get_property $axhdl_inst ref_name] [sta::instance_power $axhdl_inst $axhdl_corner] [get_full_name $axhdl_inst]"
  }
  puts "AXHDL design $axhdl_act [sta::design_power $axhdl_corner]"
}
